import { k8s } from '../core/cdk8s-plus';
import { FullResources, toResourceRequirements } from '../synth/pod/resources';
import { spreadOf } from '../core/spread';

/** The extended resource the NVIDIA device plugin advertises, whole GPUs or time-slices of them. */
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** The RuntimeClass K3s ships for `nvidia-container-runtime`; without it NVML and the GPU are not visible. */
export const NVIDIA_RUNTIME_CLASS = 'nvidia';
/** GPU Feature Discovery's label with the GPU model, e.g. `NVIDIA-A2`. */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';

/** GPU nodes are tainted `nvidia.com/gpu=true:NoSchedule` so that only GPU workloads land on them. */
export function gpuTolerations(): k8s.Toleration[] {
  return [{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }];
}

/**
 * Required node affinity on every label of `nodeSelector` (and the GPU model, when given): one
 * term, so the labels are ANDed. Affinity rather than `nodeSelector`, so that topology spread
 * with `nodeAffinityPolicy: Honor` counts exactly these nodes.
 */
export function gpuNodeAffinity(nodeSelector: Readonly<Record<string, string>>, gpuProduct?: string): k8s.Affinity {
  const labels = spreadOf(nodeSelector, gpuProduct ? { [GPU_PRODUCT_LABEL]: gpuProduct } : {});
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{
          matchExpressions: Object.entries(labels).map(([key, value]) => ({ key, operator: 'In', values: [value] })),
        }],
      },
    },
  };
}

/**
 * CPU and memory as everywhere, plus GPUs in requests and limits. Extended resources cannot be
 * overcommitted, so the two must be equal; `Quantity.fromString` because cdk8s-plus-27's
 * mappers turn anything else under an unknown resource key into null.
 */
export function resourcesWithGpus(resources: FullResources, gpus: number): k8s.ResourceRequirements {
  const base = toResourceRequirements(resources);
  const gpu = { [GPU_RESOURCE]: k8s.Quantity.fromString(String(gpus)) };
  return { requests: spreadOf(base.requests, gpu), limits: spreadOf(base.limits, gpu) };
}
