import { GpuUtilizationScalingOptions, QueueSizeScalingOptions, Scaling } from '../synth/scaling';

/** The metric behind each signal of an inference pool. */
export enum ScalingSignal {
  /** Triton's queue of requests waiting for a model instance. */
  QUEUE_SIZE = 'nv_inference_pending_request_count',
  /** GPU utilization in percent, from dcgm-exporter. */
  GPU_UTILIZATION = 'DCGM_FI_DEV_GPU_UTIL',
}

/**
 * The signals an inference pool's KEDA autoscaler watches, by the names a pool reads best:
 * `InferenceScaling.queueSize({ target: 4 })` is `Scaling.queueSize({ target: 4 })`. A pool also
 * takes `Scaling.prometheus({ query, threshold })` for a signal of its own.
 */
export class InferenceScaling {
  /**
   * Scale on Triton's queue: workers = ceil(pending requests / target). The direct measure of
   * frames waiting for inference, and available as soon as Triton is scraped.
   */
  public static queueSize(options: QueueSizeScalingOptions): Scaling {
    return Scaling.queueSize(options);
  }

  /**
   * Scale on GPU utilization from dcgm-exporter: workers = ceil(sum of the workers' utilization /
   * target). Needs dcgm-exporter (see GpuNodeSupport) to attribute GPUs to pods.
   */
  public static gpuUtilization(options: GpuUtilizationScalingOptions): Scaling {
    return Scaling.gpuUtilization(options);
  }

  private constructor() {}
}
