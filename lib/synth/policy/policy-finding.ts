import { ObjectReference, describeObject } from '../validation/violation';

/** The platform policies; each finding names one. */
export enum Policy {
  SERVICE_SELECTS_PODS = 'service-selects-pods',
  DISRUPTION_BUDGET = 'disruption-budget',
  AUTOSCALER_TARGET = 'autoscaler-target',
  POD_SECURITY_RESTRICTED = 'pod-security-restricted',
  RESOURCES = 'resources',
  NETWORK_POLICY_COVERAGE = 'network-policy-coverage',
  PINNED_IMAGES = 'pinned-images',
  GPU_SCHEDULING = 'gpu-scheduling',
  /** Containers state ephemeral-storage requests and limits; emptyDirs a sizeLimit their pod's limits cover. */
  EPHEMERAL_STORAGE = 'ephemeral-storage',
  /**
   * Deployments and StatefulSets survive the loss or drain of any one node, unless they say why one
   * replica is enough (the `video-analytics.io/single-replica-reason` annotation, set by the pod builder).
   */
  SINGLE_POINT_OF_FAILURE = 'single-point-of-failure',
}

/** One object that breaks one policy. */
export interface PolicyFinding {
  /** The policy broken. */
  readonly policy: Policy;
  /** Path of the construct that created the object, e.g. `video-analytics-ingest/ingest/ingest-shard-0-deployment`. */
  readonly constructPath: string;
  /** The object. */
  readonly object: ObjectReference;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** `[pod-security-restricted] Deployment ns/x (at chart/x/deployment): ... Fix: ...` */
export function formatFinding(finding: PolicyFinding): string {
  return `[${finding.policy}] ${describeObject(finding.object)} (at ${finding.constructPath}): ${finding.message}. Fix: ${finding.fix}`;
}
