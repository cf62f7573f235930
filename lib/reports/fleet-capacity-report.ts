import { IConstruct } from 'constructs';
import { StreamIngest } from '../ingest/stream-ingest';
import { MarkdownReport } from './beside-output';
import { CapacityReport, MinMax, num, range, table } from './capacity-report';

/** One site of the fleet, as the report reads it. */
export interface FleetCapacitySite {
  /** The site's name. */
  readonly site: string;
  /** The scope holding every construct of the site: its app. */
  readonly scope: IConstruct;
  /** Nodes of the site's cluster: servers and GPU agents. */
  readonly nodes: number;
}

/** The figures of one site, or of the fleet. */
export interface FleetCapacityFigures {
  /** Cameras, over every StreamIngest. */
  readonly cameras: number;
  /** Ingest shards. */
  readonly ingestShards: number;
  /** Replicas of every detection type together, at the minimum and maximum scale. */
  readonly detectionReplicas: MinMax<number>;
  /** Physical GPUs every GPU consumer may take at maximum scale. */
  readonly gpusDemanded: number;
  /** Physical GPUs of the GPU inventories: GPU nodes × GPUs per node. */
  readonly gpusDeclared: number;
  /** Nodes of the cluster. */
  readonly nodes: number;
}

/** One site's row. */
export interface FleetSiteCapacity extends FleetCapacityFigures {
  readonly site: string;
}

/** Everything the report states, for tests and tools. */
export interface FleetCapacityReportData {
  /** One row per site, in the fleet's order. */
  readonly sites: readonly FleetSiteCapacity[];
  /** The sum of the rows. */
  readonly total: FleetCapacityFigures;
}

/**
 * How much a fleet asks of its sites: per site and in total, cameras, ingest shards, detection
 * replicas, GPUs demanded at maximum scale against the GPUs declared, and nodes. Each site's
 * figures come from its {@link CapacityReport}; `VideoAnalyticsFleet.synth()` writes the report
 * to `reports/fleet-capacity.md`, beside the output folder.
 */
export class FleetCapacityReport extends MarkdownReport {
  /** The report of these sites, in this order. */
  public static of(sites: readonly FleetCapacitySite[]): FleetCapacityReport {
    return new FleetCapacityReport(sites);
  }

  private data?: FleetCapacityReportData;

  private constructor(private readonly sites: readonly FleetCapacitySite[]) {
    super();
  }

  /** The figures, computed once. */
  public toJson(): FleetCapacityReportData {
    if (this.data === undefined) {
      const sites = this.sites.map(siteCapacity);
      this.data = { sites, total: sum(sites) };
    }
    return this.data;
  }

  /** The report as Markdown: stable text, in the fleet's order, without timestamps. */
  public override toMarkdown(): string {
    const { sites, total } = this.toJson();
    const row = (label: string, f: FleetCapacityFigures): string[] => [label, num(f.cameras), num(f.ingestShards), range(f.detectionReplicas),
      num(f.gpusDemanded), num(f.gpusDeclared), num(f.gpusDeclared - f.gpusDemanded), num(f.nodes)];
    return [
      '# Fleet capacity report',
      [
        'Per site and for the whole fleet, from each site\'s capacity report. Detection replicas at the minimum and the',
        'maximum scale (`replicas`, or the bounds of the autoscaler that owns them); GPUs demanded at maximum scale (every',
        'pool at its most workers, in physical GPUs) against the GPUs the site\'s GPU nodes declare.',
      ].join('\n'),
      table(['Site', 'Cameras', 'Ingest shards', 'Detection replicas', 'GPUs demanded at max', 'GPUs declared', 'GPU headroom', 'Nodes'], 'lrrrrrrr',
        [...sites.map((s) => row(s.site, s)), row(`**Total (${sites.length} sites)**`, total)], 'No sites.'),
    ].join('\n\n') + '\n';
  }
}

function siteCapacity({ site, scope, nodes }: FleetCapacitySite): FleetSiteCapacity {
  const data = CapacityReport.of(scope, { clusterNodes: nodes }).toJson();
  const ingests = scope.node.findAll().filter((c): c is StreamIngest => c instanceof StreamIngest);
  // A service serves several label sites at most once: its replicas are counted once.
  const services = new Map(data.siteDetections.map((d) => [`${d.namespace}/${d.detection}`, d.analysisReplicas]));
  return {
    site,
    cameras: ingests.reduce((n, ingest) => n + ingest.cameraSpecs.length, 0),
    ingestShards: ingests.reduce((n, ingest) => n + ingest.shards.length, 0),
    detectionReplicas: {
      min: [...services.values()].reduce((n, r) => n + r.min, 0),
      max: [...services.values()].reduce((n, r) => n + r.max, 0),
    },
    gpusDemanded: data.gpuInventories.reduce((n, i) => n + i.demandGpus, 0),
    gpusDeclared: data.gpuInventories.reduce((n, i) => n + i.capacityGpus, 0),
    nodes,
  };
}

function sum(sites: readonly FleetSiteCapacity[]): FleetCapacityFigures {
  const total = (figure: (s: FleetSiteCapacity) => number): number => sites.reduce((n, s) => n + figure(s), 0);
  return {
    cameras: total((s) => s.cameras),
    ingestShards: total((s) => s.ingestShards),
    detectionReplicas: { min: total((s) => s.detectionReplicas.min), max: total((s) => s.detectionReplicas.max) },
    gpusDemanded: total((s) => s.gpusDemanded),
    gpusDeclared: total((s) => s.gpusDeclared),
    nodes: total((s) => s.nodes),
  };
}
