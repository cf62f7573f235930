import { cpuMillis, memoryBytes } from '../core/quantity';
import { Json } from '../synth/policy/_objects';

/** CPU in millicores and memory in bytes. */
export interface Amount {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** What one pod asks the scheduler for and what it may use at most. */
export interface PodResources {
  readonly requests: Amount;
  readonly limits: Amount;
  /** Containers without a CPU or memory limit: their pod may use the whole node, and counts 0 here. */
  readonly unlimited: readonly string[];
}

export const ZERO: Amount = { cpuMillis: 0, memoryBytes: 0 };

export function add(a: Amount, b: Amount): Amount {
  return { cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes };
}

export function times(a: Amount, factor: number): Amount {
  return { cpuMillis: a.cpuMillis * factor, memoryBytes: a.memoryBytes * factor };
}

function max(a: Amount, b: Amount): Amount {
  return { cpuMillis: Math.max(a.cpuMillis, b.cpuMillis), memoryBytes: Math.max(a.memoryBytes, b.memoryBytes) };
}

/**
 * A pod's requests and limits as the scheduler counts them: init containers run one at a time
 * before the others, so the pod needs the larger of the biggest init container and the sum of
 * the regular containers. Sidecars (init containers with `restartPolicy: Always`) keep running,
 * so they add to everything started after them. The pod overhead of its RuntimeClass comes on top.
 *
 * @param where names the pod in errors about malformed quantities
 * @see https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers
 */
export function podResources(spec: Json, overhead: Json | undefined, where: string): PodResources {
  const unlimited: string[] = [];
  const amount = (container: Json, field: 'requests' | 'limits'): Amount => {
    const resources = container.resources ?? {};
    const read = (name: 'cpu' | 'memory'): string | number | undefined =>
      // The API server defaults a missing request to the limit.
      field === 'requests' ? resources.requests?.[name] ?? resources.limits?.[name] : resources.limits?.[name];
    const cpu = read('cpu');
    const memory = read('memory');
    if (field === 'limits' && (cpu === undefined || memory === undefined)) unlimited.push(container.name);
    return {
      cpuMillis: cpu === undefined ? 0 : parse(cpuMillis, cpu, `${where} container '${container.name}' ${field}.cpu`),
      memoryBytes: memory === undefined ? 0 : parse(memoryBytes, memory, `${where} container '${container.name}' ${field}.memory`),
    };
  };
  const total = (field: 'requests' | 'limits'): Amount => {
    let sidecars = ZERO;
    let initPeak = ZERO;
    for (const init of spec.initContainers ?? []) {
      if (init.restartPolicy === 'Always') {
        sidecars = add(sidecars, amount(init, field));
        initPeak = max(initPeak, sidecars);
      } else {
        initPeak = max(initPeak, add(sidecars, amount(init, field)));
      }
    }
    const running = (spec.containers ?? []).reduce((sum: Amount, c: Json) => add(sum, amount(c, field)), sidecars);
    return add(max(running, initPeak), overheadOf(overhead, where));
  };
  return { requests: total('requests'), limits: total('limits'), unlimited: [...new Set(unlimited)] };
}

function overheadOf(overhead: Json | undefined, where: string): Amount {
  if (overhead === undefined) return ZERO;
  return {
    cpuMillis: overhead.cpu === undefined ? 0 : parse(cpuMillis, overhead.cpu, `${where} overhead.cpu`),
    memoryBytes: overhead.memory === undefined ? 0 : parse(memoryBytes, overhead.memory, `${where} overhead.memory`),
  };
}

function parse(parser: (value: string | number) => number, value: string | number, where: string): number {
  try {
    return parser(value);
  } catch (error) {
    throw new Error(`CapacityReport: ${where} (${String(value)}) must be a Kubernetes quantity such as '500m' or '128Mi'. Fix the resources of the construct that made it.`, { cause: error });
  }
}
