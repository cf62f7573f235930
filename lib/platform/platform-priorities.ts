import { platformLabels } from '../core/labels';
import { KubePriorityClass } from '../synth/kube-objects';
import { PriorityClassNames } from '../synth/pod/scope-settings';
import { Construct } from 'constructs';

/**
 * The platform's PriorityClasses. When a node runs short, the scheduler evicts lower classes
 * first: the platform's own services (registry, monitoring, GPU daemons) outrank the
 * applications, since without them no node pulls an image and no alert fires; losing a camera
 * stream loses every detection on it, so ingest outranks analysis; and batch work (re-processing,
 * exports) never preempts anything.
 *
 * Pods get them through their scope: `ScopeSettings.apply(scope, { priorityClasses: PlatformPriorities.CLASS_NAMES })`,
 * which {@link VideoAnalyticsPlatform} does for every layer.
 */
export class PlatformPriorities extends Construct {
  /** The registry, monitoring and GPU daemons: the platform's own services. */
  public static readonly PLATFORM = 'video-analytics-platform';
  /** Stream ingest: the first thing that must run. */
  public static readonly INGEST = 'video-analytics-ingest';
  /** Analysis services and inference pools. */
  public static readonly ANALYSIS = 'video-analytics-analysis';
  /** Batch work: runs on spare capacity and never preempts. */
  public static readonly BATCH = 'video-analytics-batch';
  /** The class of each tier, as `ScopeSettings` takes them. */
  public static readonly CLASS_NAMES: PriorityClassNames = {
    platform: PlatformPriorities.PLATFORM,
    ingest: PlatformPriorities.INGEST,
    analysis: PlatformPriorities.ANALYSIS,
    batch: PlatformPriorities.BATCH,
  };

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Well below system-cluster-critical (2000000000): the platform never outranks the cluster's own pods.
    this.addClass(PlatformPriorities.PLATFORM, 1000000, 'PreemptLowerPriority', 'The platform\'s own services (registry, monitoring, GPU daemons): without them no image pulls and no alerts.');
    this.addClass(PlatformPriorities.INGEST, 100000, 'PreemptLowerPriority', 'Camera stream ingest: losing it loses every detection on its cameras.');
    this.addClass(PlatformPriorities.ANALYSIS, 50000, 'PreemptLowerPriority', 'Analysis services and GPU inference pools.');
    this.addClass(PlatformPriorities.BATCH, 10000, 'Never', 'Batch work on spare capacity; never preempts other pods.');
  }

  private addClass(name: string, value: number, preemptionPolicy: string, description: string): void {
    new KubePriorityClass(this, name, {
      metadata: { name, labels: platformLabels() },
      value,
      preemptionPolicy,
      globalDefault: false,
      description,
    });
  }
}
