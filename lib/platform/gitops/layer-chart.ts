import { ApiObject, Chart } from 'cdk8s';
import { ApplyOrderedChart } from '../../synth/apply-order';
import { Construct } from 'constructs';

/** Argo CD applies lower waves first and waits for them to be healthy. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Props of {@link LayerChart}. */
export interface LayerChartProps {
  /** Argo CD sync wave of every object in the chart, from 0 to 99; must not be lower than a dependency's. */
  readonly wave: number;
  /**
   * Layers whose objects must be applied first (namespaces, CRD-backed services).
   * @default - none
   */
  readonly dependsOn?: readonly LayerChart[];
}

/**
 * A chart for one layer of the platform. Its file in `dist/` is named after its wave
 * (`03-<id>.k8s.yaml`), so `kubectl apply -f dist/` (alphabetical) applies the layers in wave
 * order, and every object carries the matching Argo CD sync wave.
 *
 * Layers do not use cdk8s chart dependencies: cdk8s turns each into an edge from every object
 * of one chart to every object of the other and walks all paths of that graph, which grows
 * exponentially with the number of layers (eight layers of the reference platform never finish).
 * The dependency is a wave constraint instead, checked here.
 */
export class LayerChart extends ApplyOrderedChart {
  /** The layer's sync wave. */
  public readonly wave: number;

  constructor(scope: Construct, id: string, props: LayerChartProps) {
    super(scope, `${waveLabel(id, props.wave)}-${id}`, { disableResourceNameHashes: true });
    this.wave = props.wave;
    (props.dependsOn ?? []).forEach((dependency) => this.dependOn(dependency));
    // cdk8s has no prepare phase: validation is the last hook before objects are serialized,
    // in app.synth() and Testing.synth() alike. Annotating twice is harmless.
    this.node.addValidation({ validate: () => { this.annotateObjects(); return []; } });
  }

  /** Requires `dependency` to be applied no later than this layer. */
  public dependOn(dependency: LayerChart): void {
    if (dependency.wave > this.wave) {
      throw new Error(`LayerChart '${this.node.id}': 'wave' (${this.wave}) must not be lower than the wave of '${dependency.node.id}' (${dependency.wave}), which it depends on. Raise the wave.`);
    }
  }

  private annotateObjects(): void {
    for (const object of this.node.findAll()) {
      if (object instanceof ApiObject && Chart.of(object) === this) {
        object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(this.wave));
      }
    }
  }
}

function waveLabel(id: string, wave: number): string {
  if (!Number.isInteger(wave) || wave < 0 || wave > 99) {
    throw new Error(`LayerChart '${id}': 'wave' (${wave}) must be an integer from 0 to 99. Number the layers in apply order.`);
  }
  return String(wave).padStart(2, '0');
}
