import { Size } from 'cdk8s';
import { Cpu } from '../../core/cdk8s-plus';
import { memoryBytes } from '../../core/quantity';
import { cpuMillis } from '../../synth/pod/resources';

/** CPU and memory the kubelet keeps out of what pods may be given. */
export interface ResourceReservation {
  /**
   * CPU kept back.
   * @default - the default of the reservation it belongs to
   */
  readonly cpu?: Cpu;
  /**
   * Memory kept back.
   * @default - the default of the reservation it belongs to
   */
  readonly memory?: Size;
}

/** A hard eviction threshold: a percentage of the resource, or an amount left. */
export class EvictionThreshold {
  /** Evict when less than `value` percent (above 0, below 100) is left. */
  public static percent(value: number): EvictionThreshold {
    return new EvictionThreshold(value, undefined);
  }

  /** Evict when less than `size` is left. */
  public static size(size: Size): EvictionThreshold {
    return new EvictionThreshold(undefined, size);
  }

  private constructor(
    /** The percentage, when given as one. */
    public readonly percentage: number | undefined,
    /** The amount, when given as one. */
    public readonly amount: Size | undefined,
  ) {}
}

/**
 * The kubelet's hard eviction thresholds. The kubelet drops its defaults for every signal not
 * named once any is set, so all four are always written.
 */
export interface EvictionThresholds {
  /**
   * Memory left on the node.
   * @default EvictionThreshold.size(Size.mebibytes(500))
   */
  readonly memoryAvailable?: EvictionThreshold;
  /**
   * Space left on the node's root filesystem (logs, emptyDir volumes).
   * @default EvictionThreshold.percent(10)
   */
  readonly nodefsAvailable?: EvictionThreshold;
  /**
   * Space left on the filesystem containerd keeps images on.
   * @default EvictionThreshold.percent(15)
   */
  readonly imagefsAvailable?: EvictionThreshold;
  /**
   * Inodes left on the node's root filesystem: a percentage only.
   * @default EvictionThreshold.percent(5)
   */
  readonly nodefsInodesFree?: EvictionThreshold;
}

/**
 * What each node's kubelet keeps back from pods, so that a busy edge node cannot starve the
 * operating system or K3s itself (on servers the API server and etcd run inside the k3s process),
 * and when it starts evicting pods.
 */
export interface KubeletReservations {
  /**
   * Kept for the operating system: sshd, journald, udev, the network.
   * @default - cpu 250m, memory 512Mi
   */
  readonly systemReserved?: ResourceReservation;
  /**
   * Kept for K3s on servers: the kubelet, containerd, the control plane and etcd.
   * @default - cpu 1, memory 1536Mi
   */
  readonly serverKubeReserved?: ResourceReservation;
  /**
   * Kept for K3s on agents: the kubelet and containerd.
   * @default - cpu 500m, memory 1Gi
   */
  readonly agentKubeReserved?: ResourceReservation;
  /**
   * Hard eviction thresholds.
   * @default - memory.available<500Mi, nodefs.available<10%, imagefs.available<15%, nodefs.inodesFree<5%
   */
  readonly evictionHard?: EvictionThresholds;
}

/** A reservation with both amounts known. */
export interface FullReservation {
  readonly cpu: Cpu;
  readonly memory: Size;
}

/** Defaults for a small edge node (4 to 8 cores, 8 to 32 GiB). */
export const DEFAULT_RESERVATIONS = {
  systemReserved: { cpu: Cpu.millis(250), memory: Size.mebibytes(512) },
  serverKubeReserved: { cpu: Cpu.units(1), memory: Size.mebibytes(1536) },
  agentKubeReserved: { cpu: Cpu.millis(500), memory: Size.gibibytes(1) },
  evictionHard: {
    memoryAvailable: EvictionThreshold.size(Size.mebibytes(500)),
    nodefsAvailable: EvictionThreshold.percent(10),
    imagefsAvailable: EvictionThreshold.percent(15),
    nodefsInodesFree: EvictionThreshold.percent(5),
  },
} as const;

/** The kubelet's names of the eviction signals, by prop. */
export const EVICTION_SIGNALS: Readonly<Record<keyof EvictionThresholds, string>> = {
  memoryAvailable: 'memory.available',
  nodefsAvailable: 'nodefs.available',
  imagefsAvailable: 'imagefs.available',
  nodefsInodesFree: 'nodefs.inodesFree',
};

/** The reservations with every default filled in. */
export interface ResolvedReservations {
  readonly systemReserved: FullReservation;
  readonly serverKubeReserved: FullReservation;
  readonly agentKubeReserved: FullReservation;
  readonly evictionHard: Readonly<Record<keyof EvictionThresholds, EvictionThreshold>>;
}

export function resolveReservations(reservations: KubeletReservations = {}): ResolvedReservations {
  const merge = (given: ResourceReservation | undefined, fallback: FullReservation): FullReservation =>
    ({ cpu: given?.cpu ?? fallback.cpu, memory: given?.memory ?? fallback.memory });
  return {
    systemReserved: merge(reservations.systemReserved, DEFAULT_RESERVATIONS.systemReserved),
    serverKubeReserved: merge(reservations.serverKubeReserved, DEFAULT_RESERVATIONS.serverKubeReserved),
    agentKubeReserved: merge(reservations.agentKubeReserved, DEFAULT_RESERVATIONS.agentKubeReserved),
    evictionHard: { ...DEFAULT_RESERVATIONS.evictionHard, ...definedEntries(reservations.evictionHard ?? {}) },
  };
}

/** The problem with a reservation amount, if any: `[prop, value, rule, fix]`. */
export type ReservationProblem = readonly [string, unknown, string, string];

/** Every reservation and threshold checked; the first problem, naming its prop. */
export function reservationProblem(reservations: KubeletReservations | undefined): ReservationProblem | undefined {
  const given = reservations ?? {};
  for (const name of ['systemReserved', 'serverKubeReserved', 'agentKubeReserved'] as const) {
    const problem = amountProblem(`kubeletReservations.${name}`, given[name]);
    if (problem) return problem;
  }
  for (const [name, threshold] of Object.entries(given.evictionHard ?? {})) {
    if (threshold === undefined) continue;
    const problem = thresholdProblem(name as keyof EvictionThresholds, threshold);
    if (problem) return problem;
  }
  return undefined;
}

function amountProblem(prop: string, reservation: ResourceReservation | undefined): ReservationProblem | undefined {
  if (reservation?.cpu !== undefined) {
    const millis = reservation.cpu instanceof Cpu ? cpuMillis(reservation.cpu) : NaN;
    if (!Number.isFinite(millis) || millis < 0) {
      return [`${prop}.cpu`, reservation.cpu instanceof Cpu ? reservation.cpu.amount : reservation.cpu, 'a CPU amount of at least 0', 'Use Cpu.millis(250) or Cpu.units(1).'];
    }
  }
  if (reservation?.memory !== undefined && !(reservation.memory instanceof Size)) {
    return [`${prop}.memory`, reservation.memory, 'a Size', 'Use Size.mebibytes(512) or Size.gibibytes(1).'];
  }
  return undefined;
}

function thresholdProblem(name: keyof EvictionThresholds, threshold: EvictionThreshold): ReservationProblem | undefined {
  const prop = `kubeletReservations.evictionHard.${name}`;
  if (!EVICTION_SIGNALS[name]) {
    return [prop, threshold, `one of ${Object.keys(EVICTION_SIGNALS).join(', ')}`, 'Name a signal the kubelet evicts on.'];
  }
  if (!(threshold instanceof EvictionThreshold)) {
    return [prop, threshold, 'a percentage or a size', 'Use EvictionThreshold.percent(10) or EvictionThreshold.size(Size.mebibytes(500)).'];
  }
  if (threshold.percentage !== undefined) {
    const p = threshold.percentage;
    if (!Number.isFinite(p) || p <= 0 || p >= 100) {
      return [prop, `${p}%`, 'a percentage above 0 and below 100', 'At 0 the kubelet never evicts, at 100 it always does: use e.g. EvictionThreshold.percent(10).'];
    }
    return undefined;
  }
  if (name === 'nodefsInodesFree') {
    return [prop, threshold.amount!.asString(), 'a percentage', 'Inodes are counted, not sized: use EvictionThreshold.percent(5).'];
  }
  if (memoryBytes(threshold.amount!.asString()) <= 0) {
    return [prop, threshold.amount!.asString(), 'a size above 0', 'At 0 the kubelet evicts only when nothing is left: use e.g. EvictionThreshold.size(Size.mebibytes(500)).'];
  }
  return undefined;
}

/** `system-reserved=cpu=250m,memory=512Mi`. */
export function reservationArg(flag: 'system-reserved' | 'kube-reserved', reservation: FullReservation): string {
  return `${flag}=cpu=${reservation.cpu.amount},memory=${reservation.memory.asString()}`;
}

/** `eviction-hard=memory.available<500Mi,nodefs.available<10%,...`, every signal named. */
export function evictionArg(thresholds: ResolvedReservations['evictionHard']): string {
  const signals = (Object.keys(EVICTION_SIGNALS) as (keyof EvictionThresholds)[])
    .map((name) => `${EVICTION_SIGNALS[name]}<${thresholdText(thresholds[name])}`);
  return `eviction-hard=${signals.join(',')}`;
}

function thresholdText(threshold: EvictionThreshold): string {
  return threshold.percentage !== undefined ? `${threshold.percentage}%` : threshold.amount!.asString();
}

function definedEntries<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
