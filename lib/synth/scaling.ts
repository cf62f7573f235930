/** Options of {@link Scaling.prometheus}. */
export interface PrometheusScalingOptions {
  /** PromQL query that returns one element: the load to spread over replicas (KEDA divides it by `threshold`). */
  readonly query: string;
  /** Target value of the query per replica. */
  readonly threshold: number;
  /**
   * Value below which KEDA treats the workload as idle; with minReplicas >= 1 it only affects metrics.
   * @default - not set (KEDA's default, 0)
   */
  readonly activationThreshold?: number;
  /**
   * Address of the Prometheus KEDA queries.
   * @default 'http://prometheus.monitoring.svc:9090' - the standalone MonitoringBundle
   */
  readonly serverAddress?: string;
}

/** How a workload's replica count is decided. */
export enum ScalingKind {
  /** A fixed number of replicas, in the workload's `replicas` field. */
  FIXED = 'fixed',
  /** A `autoscaling/v2` HorizontalPodAutoscaler on CPU utilization. */
  CPU = 'cpu',
  /** A KEDA ScaledObject with a Prometheus trigger. */
  PROMETHEUS = 'prometheus',
}

/**
 * A workload's scaling, chosen with a static factory: `Scaling.fixed(3)`, `Scaling.cpu(70)` or
 * `Scaling.prometheus({ query, threshold })`. One choice per workload: it can never have two autoscalers.
 */
export class Scaling {
  /** Exactly `replicas` replicas. */
  public static fixed(replicas: number): Scaling {
    return new Scaling(ScalingKind.FIXED, { replicas });
  }

  /**
   * An HPA that keeps average CPU utilization (of requests) near `targetUtilizationPercent`,
   * scaling up fast and down slowly.
   */
  public static cpu(targetUtilizationPercent: number): Scaling {
    return new Scaling(ScalingKind.CPU, { targetUtilizationPercent });
  }

  /** A KEDA ScaledObject with a Prometheus trigger. */
  public static prometheus(options: PrometheusScalingOptions): Scaling {
    return new Scaling(ScalingKind.PROMETHEUS, { prometheus: options });
  }

  private constructor(
    /** Which kind of scaling. */
    public readonly kind: ScalingKind,
    private readonly options: { replicas?: number; targetUtilizationPercent?: number; prometheus?: PrometheusScalingOptions },
  ) {}

  /** Replicas of a fixed scaling; undefined for autoscaling. */
  public get replicas(): number | undefined {
    return this.options.replicas;
  }

  /** CPU target of a CPU scaling. */
  public get targetUtilizationPercent(): number | undefined {
    return this.options.targetUtilizationPercent;
  }

  /** Trigger of a Prometheus scaling. */
  public get prometheusOptions(): PrometheusScalingOptions | undefined {
    return this.options.prometheus;
  }

  /** Whether an autoscaler owns the replica count (so the workload must not set `replicas`). */
  public get isAutoscaled(): boolean {
    return this.kind !== ScalingKind.FIXED;
  }
}
