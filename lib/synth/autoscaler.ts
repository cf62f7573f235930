import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { ScaledObject, ScaledObjectSpecFallbackBehavior } from '../../imports/keda.sh';
import { propError } from '../core/errors';

/** A Prometheus as a KEDA trigger reaches it. */
export interface PrometheusEndpoint {
  /** The in-cluster URL KEDA queries, e.g. `http://prometheus.monitoring.svc.cluster.local:9090`. */
  readonly url: string;
  /** Who runs it, for error messages, e.g. `MonitoringBundle 'monitoring'`. */
  readonly owner: string;
}

/** A component whose autoscaler queries the Prometheus that scrapes it. */
export interface IPrometheusClient {
  /** Called by the monitoring that scrapes the component: its triggers query that Prometheus. */
  usePrometheus(endpoint: PrometheusEndpoint): void;
}

/** Whether `value` takes a Prometheus for its triggers. */
export function isPrometheusClient(value: unknown): value is IPrometheusClient {
  return typeof value === 'object' && value !== null && typeof (value as Partial<IPrometheusClient>).usePrometheus === 'function';
}

/**
 * Where one construct's KEDA triggers send their queries: an explicit external Prometheus, or the
 * one of the monitoring that watches the construct. Never a guessed address: with neither, the
 * app fails validation with the two fixes.
 */
export class PrometheusLink {
  private watchedBy?: PrometheusEndpoint;

  constructor(
    private readonly ownerKind: string,
    private readonly ownerId: string,
    /** The prop that names an external Prometheus, for the error message. */
    private readonly explicitProp: string,
    private readonly explicitUrl?: string,
  ) {
    if (explicitUrl !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(explicitUrl)) {
      throw propError(ownerKind, ownerId, explicitProp, explicitUrl, 'an http or https URL', "Write it like 'http://prometheus.monitoring.svc.cluster.local:9090'.");
    }
  }

  /** Takes the Prometheus of the monitoring that scrapes the construct; an explicit URL still wins. */
  public use(endpoint: PrometheusEndpoint): void {
    if (this.watchedBy && this.watchedBy.url !== endpoint.url) {
      throw propError(this.ownerKind, this.ownerId, 'monitoring', endpoint.owner,
        `one monitoring that scrapes it, but ${this.watchedBy.owner} already does`, 'Watch it from one MonitoringBundle only.');
    }
    this.watchedBy = endpoint;
  }

  /** The address, when the app is rendered. */
  public get url(): string {
    return Lazy.any({ produce: () => this.explicitUrl ?? this.watchedBy?.url }) as unknown as string;
  }

  /** What is wrong when nothing says where Prometheus is: for `node.addValidation`. */
  public problems(): string[] {
    if (this.explicitUrl !== undefined || this.watchedBy !== undefined) return [];
    return [propError(this.ownerKind, this.ownerId, this.explicitProp, 'undefined',
      'the Prometheus that scrapes its scaling metric',
      `Pass it to a MonitoringBundle with 'monitoring.watch(...)', or set '${this.explicitProp}' to the URL of an existing Prometheus.`).message];
  }
}

/** The Prometheus query KEDA divides by `threshold` to get the replica count. */
export interface PrometheusTrigger {
  /**
   * Name of the trigger, shown in KEDA's metrics.
   * @default - none
   */
  readonly name?: string;
  /**
   * How KEDA compares the query's value with `threshold`.
   * @default - KEDA's default, 'AverageValue'
   */
  readonly metricType?: 'AverageValue' | 'Value';
  readonly query: string;
  readonly threshold: number;
  /**
   * Below it KEDA treats the workload as idle.
   * @default - KEDA's default, 0
   */
  readonly activationThreshold?: number;
}

/** Options of {@link newScaledObject}. */
export interface ScaledObjectOptions {
  readonly metadata: ApiObjectMetadata;
  /** Name of the Deployment it scales, in the same namespace. */
  readonly deployment: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Seconds between two queries. */
  readonly pollingIntervalSeconds: number;
  /** How fast the HPA KEDA creates moves up and down. */
  readonly behavior: k8s.HorizontalPodAutoscalerBehaviorV2;
  readonly trigger: PrometheusTrigger;
  /** Where the query goes. */
  readonly prometheus: PrometheusLink;
}

/**
 * A KEDA ScaledObject with one Prometheus trigger, the one way the library autoscales on a metric.
 * Prometheus unreachable or its answer empty: KEDA keeps at least the replicas running now, since
 * an empty result means lost metrics, not an idle workload, and must not scale down blind.
 */
export function newScaledObject(scope: Construct, id: string, options: ScaledObjectOptions): ScaledObject {
  const { trigger } = options;
  return new ScaledObject(scope, id, {
    metadata: options.metadata,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: options.deployment },
      minReplicaCount: options.minReplicas,
      maxReplicaCount: options.maxReplicas,
      pollingInterval: options.pollingIntervalSeconds,
      fallback: { failureThreshold: 3, replicas: options.minReplicas, behavior: ScaledObjectSpecFallbackBehavior.CURRENT_REPLICAS_IF_HIGHER },
      advanced: { horizontalPodAutoscalerConfig: { behavior: options.behavior } },
      triggers: [{
        type: 'prometheus',
        name: trigger.name,
        metricType: trigger.metricType,
        metadata: {
          serverAddress: options.prometheus.url,
          query: trigger.query,
          threshold: String(trigger.threshold),
          ...(trigger.activationThreshold !== undefined ? { activationThreshold: String(trigger.activationThreshold) } : {}),
          ignoreNullValues: 'false',
        },
      }],
    },
  });
}
