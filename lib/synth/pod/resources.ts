import { Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { propError } from '../../core/errors';

/** Requests and limits that are all set: what every container of the library runs with. */
export interface FullResources {
  readonly cpu: { readonly request: Cpu; readonly limit: Cpu };
  readonly memory: { readonly request: Size; readonly limit: Size };
}

/** Per field: what the user set, else the construct's default. A partial override keeps the other defaults. */
export function mergeResources(defaults: FullResources, overrides: ContainerResources | undefined): FullResources {
  return {
    cpu: { request: overrides?.cpu?.request ?? defaults.cpu.request, limit: overrides?.cpu?.limit ?? defaults.cpu.limit },
    memory: { request: overrides?.memory?.request ?? defaults.memory.request, limit: overrides?.memory?.limit ?? defaults.memory.limit },
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
  if (resources.memory.request.toKibibytes() > resources.memory.limit.toKibibytes()) {
    throw propError(construct, id, `${prop}.memory.request`, resources.memory.request.asString(),
      `at most the memory limit (${resources.memory.limit.asString()})`, 'Lower the request or raise the limit.');
  }
}

export function toResourceRequirements(resources: FullResources): k8s.ResourceRequirements {
  return {
    requests: {
      cpu: k8s.Quantity.fromString(resources.cpu.request.amount),
      memory: k8s.Quantity.fromString(resources.memory.request.asString()),
    },
    limits: {
      cpu: k8s.Quantity.fromString(resources.cpu.limit.amount),
      memory: k8s.Quantity.fromString(resources.memory.limit.asString()),
    },
  };
}

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
