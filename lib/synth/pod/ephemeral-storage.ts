import { k8s } from '../../core/cdk8s-plus';
import { IConstruct } from 'constructs';
import { propError } from '../../core/errors';
import { memoryBytes } from '../../core/quantity';
import { DEFAULT_EPHEMERAL_STORAGE, EPHEMERAL_STORAGE } from './resources';
import { spreadOf } from '../../core/spread';

/**
 * Node disk is shared by every pod on the node: a container that logs or writes without a limit,
 * or an emptyDir without one, fills it, and the kubelet then evicts pods that did nothing wrong.
 * So every container the builder makes states its ephemeral storage, and every emptyDir its size.
 */

/** A container as the builder has it, before or after its ephemeral storage is set. */
interface ContainerWithResources {
  readonly name: string;
  readonly resources: k8s.ResourceRequirements;
  readonly volumeMounts?: readonly k8s.VolumeMount[];
}

/** Refuses an emptyDir without a sizeLimit, naming the volume and the construct that declares it. */
export function requireSizedEmptyDirs(scope: IConstruct, volumes: readonly k8s.Volume[] | undefined): void {
  for (const volume of volumes ?? []) {
    if (volume.emptyDir !== undefined && volume.emptyDir.sizeLimit === undefined) {
      throw propError(scope.constructor.name, scope.node.path, `volumes[${volume.name}].emptyDir.sizeLimit`, undefined,
        'set: an emptyDir without a size limit can fill the node\'s disk (or memory) and get every pod on the node evicted',
        `Give the emptyDir '${volume.name}' a sizeLimit, e.g. k8s.Quantity.fromString('256Mi'), the most it may hold.`);
    }
  }
}

/**
 * The containers with ephemeral-storage requests and limits: what a container states, else the
 * default ({@link DEFAULT_EPHEMERAL_STORAGE}), whose limit also covers the disk-backed emptyDirs
 * the container is the first to mount. The kubelet counts emptyDirs against the pod's limit (the
 * sum of its containers', or its largest init container's) and evicts the pod before an emptyDir
 * is full otherwise; so an emptyDir only init containers mount counts on the first container.
 * Refuses a request above its limit.
 */
export function withEphemeralStorage<C extends ContainerWithResources>(
  scope: IConstruct, containers: readonly C[], initContainers: readonly C[], volumes: readonly k8s.Volume[] | undefined,
): { containers: C[]; initContainers: C[] } {
  const emptyDirBytes = emptyDirBytesByContainer(containers, initContainers, volumes ?? []);
  const complete = (c: C): C => {
    const requests = spreadOf(c.resources.requests);
    const limits = spreadOf(c.resources.limits);
    requests[EPHEMERAL_STORAGE] ??= k8s.Quantity.fromString(DEFAULT_EPHEMERAL_STORAGE.request.asString());
    limits[EPHEMERAL_STORAGE] ??= k8s.Quantity.fromString(binaryQuantity(memoryBytes(DEFAULT_EPHEMERAL_STORAGE.limit.asString()) + (emptyDirBytes.get(c) ?? 0)));
    const request = memoryBytes(requests[EPHEMERAL_STORAGE].value);
    const limit = memoryBytes(limits[EPHEMERAL_STORAGE].value);
    if (request > limit) {
      throw propError(scope.constructor.name, scope.node.path, `containers[${c.name}].resources.requests.${EPHEMERAL_STORAGE}`, requests[EPHEMERAL_STORAGE].value,
        `at most its limit (${limits[EPHEMERAL_STORAGE].value})`, 'Lower the request or raise the limit.');
    }
    return spreadOf(c, { resources: spreadOf(c.resources, { requests, limits }) }) as C;
  };
  return { containers: containers.map(complete), initContainers: initContainers.map(complete) };
}

/**
 * Per container, the bytes of the disk-backed emptyDirs it is charged with: each mounted emptyDir
 * once, on the first container that mounts it, or on the first container when only init
 * containers do (init containers' limits do not add up in the pod's). An emptyDir nothing mounts
 * stays empty.
 */
function emptyDirBytesByContainer<C extends ContainerWithResources>(containers: readonly C[], initContainers: readonly C[], volumes: readonly k8s.Volume[]): Map<C, number> {
  const mounts = (c: C, volume: k8s.Volume) => (c.volumeMounts ?? []).some((m) => m.name === volume.name);
  const bytes = new Map<C, number>();
  for (const volume of volumes) {
    // A Memory emptyDir counts against the memory limit instead.
    if (volume.emptyDir === undefined || volume.emptyDir.medium === 'Memory' || volume.emptyDir.sizeLimit === undefined) continue;
    const charged = containers.find((c) => mounts(c, volume)) ?? (initContainers.some((c) => mounts(c, volume)) ? containers[0] : undefined);
    if (charged !== undefined) bytes.set(charged, (bytes.get(charged) ?? 0) + memoryBytes(volume.emptyDir.sizeLimit.value));
  }
  return bytes;
}

const BINARY_UNITS: ReadonlyArray<[string, number]> = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];

/** Bytes as a quantity in the largest binary unit that divides them: `1536Mi`, `2Gi`. */
export function binaryQuantity(bytes: number): string {
  const unit = BINARY_UNITS.find(([, size]) => bytes % size === 0 && bytes > 0);
  return unit ? `${bytes / unit[1]}${unit[0]}` : String(bytes);
}
