import { Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from '../../core/cdk8s-plus';
import { propError } from '../../core/errors';

/** A request and a limit of disk or memory. */
export interface SizeRange {
  readonly request: Size;
  readonly limit: Size;
}

/** Requests and limits that are all set: what every container of the library runs with. */
export interface FullResources {
  readonly cpu: { readonly request: Cpu; readonly limit: Cpu };
  readonly memory: SizeRange;
  /**
   * Node disk for the container's logs and writable layer (and the disk-backed emptyDirs it
   * fills). The kubelet evicts the pod when its use passes the limit, instead of letting it fill
   * the node's disk and get every pod there evicted.
   * @default - the pod builder's {@link DEFAULT_EPHEMERAL_STORAGE}, the limit raised by the size of each disk-backed emptyDir the container is the first to mount
   */
  readonly ephemeralStorage?: SizeRange;
}

/**
 * The ephemeral storage of a container that states none: enough for the logs the kubelet keeps
 * (it rotates them at 10Mi, keeping five) and a writable layer that holds little more than temporary
 * files, which the library's pods keep in sized emptyDirs.
 */
export const DEFAULT_EPHEMERAL_STORAGE: SizeRange = { request: Size.mebibytes(64), limit: Size.mebibytes(512) };

/** Per field: what the user set, else the construct's default. A partial override keeps the other defaults. */
export function mergeResources(defaults: FullResources, overrides: ContainerResources | undefined): FullResources {
  const ephemeral = overrides?.ephemeralStorage;
  const ephemeralRequest = ephemeral?.request ?? defaults.ephemeralStorage?.request;
  const ephemeralLimit = ephemeral?.limit ?? defaults.ephemeralStorage?.limit;
  return {
    cpu: { request: overrides?.cpu?.request ?? defaults.cpu.request, limit: overrides?.cpu?.limit ?? defaults.cpu.limit },
    memory: { request: overrides?.memory?.request ?? defaults.memory.request, limit: overrides?.memory?.limit ?? defaults.memory.limit },
    // One part given, the other from the builder's default: the construct states both or neither.
    ...(ephemeralRequest !== undefined || ephemeralLimit !== undefined
      ? { ephemeralStorage: { request: ephemeralRequest ?? DEFAULT_EPHEMERAL_STORAGE.request, limit: ephemeralLimit ?? DEFAULT_EPHEMERAL_STORAGE.limit } }
      : {}),
  };
}

/** A CPU amount in millicores. */
export function cpuMillis(cpu: Cpu): number {
  return cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) : Number(cpu.amount) * 1000;
}

/** Refuses requests above limits: the API server would, but only at apply time. */
export function checkResources(construct: string, id: string, prop: string, resources: FullResources): void {
  if (cpuMillis(resources.cpu.request) > cpuMillis(resources.cpu.limit)) {
    throw propError(construct, id, `${prop}.cpu.request`, resources.cpu.request.amount,
      `at most the CPU limit (${resources.cpu.limit.amount})`, 'Lower the request or raise the limit.');
  }
  checkSizeRange(construct, id, `${prop}.memory`, 'memory', resources.memory);
  if (resources.ephemeralStorage) checkSizeRange(construct, id, `${prop}.ephemeralStorage`, 'ephemeral-storage', resources.ephemeralStorage);
}

function checkSizeRange(construct: string, id: string, prop: string, what: string, range: SizeRange): void {
  if (kibibytes(range.request) > kibibytes(range.limit)) {
    throw propError(construct, id, `${prop}.request`, range.request.asString(),
      `at most the ${what} limit (${range.limit.asString()})`, 'Lower the request or raise the limit.');
  }
}

function kibibytes(size: Size): number {
  return size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
}

/** The container's requests and limits; ephemeral-storage only when stated (the pod builder adds its default otherwise). */
export function toResourceRequirements(resources: FullResources): k8s.ResourceRequirements {
  const ephemeral = resources.ephemeralStorage;
  return {
    requests: {
      cpu: k8s.Quantity.fromString(resources.cpu.request.amount),
      memory: k8s.Quantity.fromString(resources.memory.request.asString()),
      ...(ephemeral ? { [EPHEMERAL_STORAGE]: k8s.Quantity.fromString(ephemeral.request.asString()) } : {}),
    },
    limits: {
      cpu: k8s.Quantity.fromString(resources.cpu.limit.amount),
      memory: k8s.Quantity.fromString(resources.memory.limit.asString()),
      ...(ephemeral ? { [EPHEMERAL_STORAGE]: k8s.Quantity.fromString(ephemeral.limit.asString()) } : {}),
    },
  };
}

/** The resource name of node disk for logs, writable layers and disk-backed emptyDirs. */
export const EPHEMERAL_STORAGE = 'ephemeral-storage';

/**
 * Go runtimes size their thread pool and heap from these; without them a Go server in a
 * container sees every core of the node and is killed at the memory limit instead of collecting.
 */
export function goRuntimeEnv(containerName: string): k8s.EnvVar[] {
  return [
    { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { containerName, resource: 'limits.cpu', divisor: k8s.Quantity.fromString('1') } } },
    { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { containerName, resource: 'limits.memory' } } },
  ];
}
