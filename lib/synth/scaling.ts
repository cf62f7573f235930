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
   * @default - the Prometheus of the MonitoringBundle that watches the workload
   */
  readonly serverAddress?: string;
}

/** Options of {@link Scaling.queueSize}. */
export interface QueueSizeScalingOptions {
  /** Pending requests per worker the autoscaler aims for. */
  readonly target: number;
}

/** Options of {@link Scaling.gpuUtilization}. */
export interface GpuUtilizationScalingOptions {
  /** Average GPU utilization of the workers, in percent, that the autoscaler aims for. */
  readonly targetPercent: number;
}

/** How a workload's replica count is decided. */
export enum ScalingKind {
  /** A fixed number of replicas, in the workload's `replicas` field. */
  FIXED = 'fixed',
  /** A `autoscaling/v2` HorizontalPodAutoscaler on CPU utilization. */
  CPU = 'cpu',
  /** A KEDA ScaledObject with a Prometheus trigger. */
  PROMETHEUS = 'prometheus',
  /** An inference pool's signal: a KEDA ScaledObject on Triton's queue of pending requests. */
  QUEUE_SIZE = 'queue-size',
  /** An inference pool's signal: a KEDA ScaledObject on the GPU utilization of its workers. */
  GPU_UTILIZATION = 'gpu-utilization',
}

/**
 * A workload's scaling, chosen with a static factory: `Scaling.fixed(3)`, `Scaling.cpu(70)` or
 * `Scaling.prometheus({ query, threshold })`; an inference pool also takes the signals of its
 * workers, `Scaling.queueSize({ target })` and `Scaling.gpuUtilization({ targetPercent })`.
 * One choice per workload: it can never have two autoscalers.
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

  /**
   * A signal of an inference pool (GpuWorkerPool): workers = ceil(requests waiting in Triton's
   * queue / `target`). The direct measure of frames waiting for inference, available as soon as
   * the pool is scraped.
   */
  public static queueSize(options: QueueSizeScalingOptions): Scaling {
    return new Scaling(ScalingKind.QUEUE_SIZE, { queueSize: options });
  }

  /**
   * A signal of an inference pool (GpuWorkerPool): workers = ceil(sum of the workers' GPU
   * utilization / `targetPercent`). Needs dcgm-exporter (GpuNodeSupport) scraped, to attribute
   * GPUs to pods.
   */
  public static gpuUtilization(options: GpuUtilizationScalingOptions): Scaling {
    return new Scaling(ScalingKind.GPU_UTILIZATION, { gpuUtilization: options });
  }

  private constructor(
    /** Which kind of scaling. */
    public readonly kind: ScalingKind,
    private readonly options: {
      replicas?: number;
      targetUtilizationPercent?: number;
      prometheus?: PrometheusScalingOptions;
      queueSize?: QueueSizeScalingOptions;
      gpuUtilization?: GpuUtilizationScalingOptions;
    },
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

  /** Target of an inference pool's queue-size signal. */
  public get queueSizeOptions(): QueueSizeScalingOptions | undefined {
    return this.options.queueSize;
  }

  /** Target of an inference pool's GPU utilization signal. */
  public get gpuUtilizationOptions(): GpuUtilizationScalingOptions | undefined {
    return this.options.gpuUtilization;
  }

  /** Whether an autoscaler owns the replica count (so the workload must not set `replicas`). */
  public get isAutoscaled(): boolean {
    return this.kind !== ScalingKind.FIXED;
  }
}
