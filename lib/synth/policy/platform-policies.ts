import { IConstruct } from 'constructs';
import { JsonOf, addJsonValidation } from '../json-validation';
import { PolicyContext } from './_context';
import { indexObjects } from './_objects';
import { checkSinglePointsOfFailure } from './_node-loss';
import {
  checkAutoscalers, checkDisruptionBudgets, checkEphemeralStorage, checkGpuScheduling, checkImages, checkNetworkPolicyCoverage,
  checkPodSecurity, checkResources, checkServices,
} from './_rules';
import { Policy, PolicyFinding, formatFinding } from './policy-finding';

/** Every policy and its check, in the order findings are reported. */
const CHECKS: ReadonlyArray<readonly [Policy, (context: PolicyContext) => PolicyFinding[]]> = [
  [Policy.SERVICE_SELECTS_PODS, checkServices],
  [Policy.DISRUPTION_BUDGET, checkDisruptionBudgets],
  [Policy.AUTOSCALER_TARGET, checkAutoscalers],
  [Policy.POD_SECURITY_RESTRICTED, checkPodSecurity],
  [Policy.RESOURCES, checkResources],
  [Policy.EPHEMERAL_STORAGE, checkEphemeralStorage],
  [Policy.NETWORK_POLICY_COVERAGE, checkNetworkPolicyCoverage],
  [Policy.PINNED_IMAGES, checkImages],
  [Policy.GPU_SCHEDULING, checkGpuScheduling],
  [Policy.SINGLE_POINT_OF_FAILURE, checkSinglePointsOfFailure],
];

/** Options of {@link PlatformPolicies}. */
export interface PlatformPoliciesOptions {
  /**
   * GPU slots the cluster offers (nodes × GPUs per node × time-slicing replicas); GPU demand at
   * maximum scale must fit.
   * @default - GPU demand is not checked against a capacity
   */
  readonly gpuCapacity?: number;
}

/**
 * Synth-time policy checks over every object under a construct (usually the App): services that
 * select nothing, budgets that block drains, autoscalers that fight, pods below the "restricted"
 * profile, containers without requests and limits (ephemeral storage included) and emptyDirs
 * without a size, workloads no NetworkPolicy is written for, unpinned images and GPU pods that
 * cannot land on GPU nodes; and workloads that do not survive the loss or drain of a node, unless
 * they say why one replica is enough.
 * Each finding names the construct path and a fix.
 */
export class PlatformPolicies {
  /** Runs every policy now and returns the findings. */
  public static check(scope: IConstruct, options: PlatformPoliciesOptions = {}): PolicyFinding[] {
    return checkObjects(scope, options, (object) => object.toJson());
  }

  /**
   * Makes synthesis of `scope` fail on any finding. It runs with the construct validations; under
   * a {@link LayeredApp} it runs once, last, on the JSON that is written.
   */
  public static enforce(scope: IConstruct, options: PlatformPoliciesOptions = {}): void {
    addJsonValidation(scope, (jsonOf) => checkObjects(scope, options, jsonOf).map(formatFinding));
  }
}

function checkObjects(scope: IConstruct, options: PlatformPoliciesOptions, jsonOf: JsonOf): PolicyFinding[] {
  const context = new PolicyContext(indexObjects(scope, jsonOf), options.gpuCapacity);
  return CHECKS.flatMap(([, check]) => check(context));
}
