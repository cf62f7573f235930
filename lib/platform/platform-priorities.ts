import { Construct } from 'constructs';
import { platformLabels } from '../core/labels';
import { KubePriorityClass } from '../synth/kube-objects';

/**
 * The platform's PriorityClasses. When a node runs short, the scheduler evicts lower classes
 * first: losing a camera stream loses every detection on it, so ingest outranks analysis, and
 * batch work (re-processing, exports) never preempts anything.
 */
export class PlatformPriorities extends Construct {
  /** Stream ingest: the first thing that must run. */
  public static readonly INGEST = 'video-analytics-ingest';
  /** Analysis services and inference pools. */
  public static readonly ANALYSIS = 'video-analytics-analysis';
  /** Batch work: runs on spare capacity and never preempts. */
  public static readonly BATCH = 'video-analytics-batch';

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Well below system-cluster-critical (2000000000): the platform never outranks the cluster's own pods.
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
