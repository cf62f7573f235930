import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';

/** Argo CD applies lower waves first and waits for them to be healthy. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Props of {@link LayerChart}. */
export interface LayerChartProps {
  /** Argo CD sync wave of every object in the chart; must not be lower than a dependency's. */
  readonly wave: number;
  /**
   * Charts whose objects must exist first (namespaces, CRD-backed services).
   * @default - none
   */
  readonly dependsOn?: readonly LayerChart[];
}

/**
 * A chart for one layer of the platform: written to `dist/` after the layers it depends on
 * (cdk8s numbers the files in dependency order) and annotated with a matching Argo CD sync wave,
 * so that `kubectl apply -f dist/` and Argo CD apply the layers in the same order.
 */
export class LayerChart extends Chart {
  /** The layer's sync wave. */
  public readonly wave: number;

  constructor(scope: Construct, id: string, props: LayerChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    this.wave = props.wave;
    for (const dependency of props.dependsOn ?? []) {
      if (dependency.wave > props.wave) {
        throw new Error(`LayerChart '${id}': 'wave' (${props.wave}) must not be lower than the wave of '${dependency.node.id}' (${dependency.wave}), which it depends on. Raise the wave.`);
      }
      this.addDependency(dependency);
    }
    // cdk8s has no prepare phase: validation is the last hook before objects are serialized,
    // and it runs for app.synth() and Testing.synth() alike. Annotating twice is harmless.
    this.node.addValidation({ validate: () => { this.annotateObjects(); return []; } });
  }

  private annotateObjects(): void {
    for (const object of this.node.findAll()) {
      if (object instanceof ApiObject && Chart.of(object) === this) {
        object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(this.wave));
      }
    }
  }
}
