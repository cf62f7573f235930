import { isQuantity, memoryBytes } from '../../core/quantity';
import { binaryQuantity } from '../pod/ephemeral-storage';
import { EPHEMERAL_STORAGE } from '../pod/resources';
import { PolicyContext } from './_context';
import { IndexedObject, Json, PodTemplate, allContainers, namespaceOf } from './_objects';
import { Policy, PolicyFinding } from './policy-finding';

const GPU_RESOURCE = 'nvidia.com/gpu';
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);


/** Every Service with a selector selects a pod template, and each target port exists in it. */
export function checkServices(context: PolicyContext): PolicyFinding[] {
  return context.ofKind('Service').flatMap((service) => {
    const selector: Record<string, string> | undefined = service.json.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return [];
    const selected = context.templatesSelectedBy(namespaceOf(service), selector, true);
    if (selected.length === 0) {
      return [context.finding(Policy.SERVICE_SELECTS_PODS, service, `selector ${JSON.stringify(selector)} selects no pod template in its namespace`, 'Make the selector equal to the labels of the workload it fronts.')];
    }
    const ports: Json[] = service.json.spec?.ports ?? [];
    return ports.filter((port) => !selected.some((t) => exposesPort(t, port.targetPort ?? port.port)))
      .map((port) => context.finding(Policy.SERVICE_SELECTS_PODS, service, `target port ${JSON.stringify(port.targetPort ?? port.port)} of port '${port.name ?? port.port}' is not a container port of the selected pods`, 'Point targetPort at a named or numbered containerPort of the pods.'));
  });
}

function exposesPort(template: PodTemplate, target: string | number): boolean {
  return (template.spec.containers ?? []).some((c: Json) => (c.ports ?? []).some((p: Json) => (typeof target === 'string' ? p.name === target : p.containerPort === target)));
}

/** The smallest number of replicas a workload may run at, from its own spec or its autoscaler. */
export function minimumSize(context: PolicyContext, workload: IndexedObject): number | undefined {
  const name = workload.json.metadata?.name;
  const ns = namespaceOf(workload);
  const hpa = context.autoscalersOf('HorizontalPodAutoscaler', ns, name).find((h) => h.json.spec?.scaleTargetRef?.kind === workload.json.kind);
  if (hpa) return hpa.json.spec.minReplicas ?? 1;
  const scaled = context.autoscalersOf('ScaledObject', ns, name).find((s) => (s.json.spec?.scaleTargetRef?.kind ?? 'Deployment') === workload.json.kind);
  if (scaled) return scaled.json.spec.minReplicaCount ?? 0;
  return workload.json.kind === 'DaemonSet' ? undefined : workload.json.spec?.replicas ?? 1;
}

/** A budget's count or percentage of `size` pods, rounded up as the disruption controller rounds it. */
export function scaled(value: number | string, size: number): number {
  return typeof value === 'number' ? value : Math.ceil((Number(value.replace('%', '')) / 100) * size);
}

/** Every PodDisruptionBudget selects a workload and still lets a node drain at the workload's minimum size. */
export function checkDisruptionBudgets(context: PolicyContext): PolicyFinding[] {
  return context.ofKind('PodDisruptionBudget').flatMap((budget) => {
    const targets = context.templatesSelectedBy(namespaceOf(budget), budget.json.spec?.selector, false);
    if (targets.length === 0) {
      return [context.finding(Policy.DISRUPTION_BUDGET, budget, 'selects no workload in its namespace', 'Make the selector match the labels of the workload it protects.')];
    }
    return targets.flatMap((t) => {
      const size = minimumSize(context, t.owner);
      if (size === undefined || size === 0) return [];
      const { maxUnavailable, minAvailable } = budget.json.spec;
      const allowed = maxUnavailable !== undefined ? scaled(maxUnavailable, size) : size - scaled(minAvailable ?? 0, size);
      return allowed >= 1 ? [] : [context.finding(Policy.DISRUPTION_BUDGET, budget,
        `allows ${allowed} voluntary disruptions of ${t.owner.json.kind} ${t.owner.json.metadata.name} at its minimum of ${size} replicas, so no node can drain`,
        'Use maxUnavailable: 1, or raise the minimum replicas above minAvailable.')];
    });
  });
}

/** Every autoscaler targets an existing workload that has no fixed replicas; no workload has two. */
export function checkAutoscalers(context: PolicyContext): PolicyFinding[] {
  const autoscalers = context.ofKind('HorizontalPodAutoscaler', 'ScaledObject');
  const perTarget = new Map<string, IndexedObject[]>();
  const findings = autoscalers.flatMap((autoscaler) => {
    const ref = autoscaler.json.spec?.scaleTargetRef ?? {};
    const kind = ref.kind ?? 'Deployment';
    const target = context.workload(namespaceOf(autoscaler), kind, ref.name);
    const key = `${namespaceOf(autoscaler)}/${kind}/${ref.name}`;
    perTarget.set(key, [...(perTarget.get(key) ?? []), autoscaler]);
    if (!target) return [context.finding(Policy.AUTOSCALER_TARGET, autoscaler, `targets ${kind} ${ref.name}, which does not exist in its namespace`, 'Point scaleTargetRef at a workload of this platform.')];
    if (target.json.spec?.replicas !== undefined) {
      return [context.finding(Policy.AUTOSCALER_TARGET, autoscaler, `targets ${kind} ${ref.name}, which sets replicas (${target.json.spec.replicas}): Argo CD and the autoscaler would fight`, 'Leave replicas out of autoscaled workloads.')];
    }
    return [];
  });
  for (const [key, owners] of perTarget) {
    if (owners.length > 1) {
      findings.push(context.finding(Policy.AUTOSCALER_TARGET, owners[1], `${key} has ${owners.length} autoscalers (${owners.map((o) => `${o.json.kind} ${o.json.metadata.name}`).join(', ')})`, 'Keep exactly one autoscaler per workload.'));
    }
  }
  return findings;
}

/** Every pod outside a privileged namespace meets the Pod Security "restricted" profile. */
export function checkPodSecurity(context: PolicyContext): PolicyFinding[] {
  return context.templates.filter((t) => !context.privilegedNamespaces.has(t.namespace))
    .flatMap((t) => restrictedProblems(t.spec).map((problem) => context.finding(Policy.POD_SECURITY_RESTRICTED, t.owner, problem,
      'Run as non-root with RuntimeDefault seccomp, no privilege escalation, all capabilities dropped; or move the pod to a privileged namespace and say why.')));
}

function restrictedProblems(spec: Json): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[host]) problems.push(`${host} is set`);
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUME_TYPES.has(type)) problems.push(`volume '${volume.name}' is of type ${type}`);
  }
  for (const sysctl of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) problems.push(`sysctl ${sysctl.name} is not in the safe set`);
  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    const where = `container '${c.name}'`;
    if (sc.privileged) problems.push(`${where} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where} does not set allowPrivilegeEscalation: false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where} does not drop ALL capabilities`);
    const added = (sc.capabilities?.add ?? []).filter((cap: string) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) problems.push(`${where} adds capabilities ${added.join(', ')}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where} does not run as non-root`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) problems.push(`${where} runs as UID 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where} has no RuntimeDefault or Localhost seccomp profile`);
    if ((c.ports ?? []).some((p: Json) => p.hostPort)) problems.push(`${where} uses a hostPort`);
    if (sc.procMount && sc.procMount !== 'Default') problems.push(`${where} sets procMount ${sc.procMount}`);
  }
  return problems;
}

/** Every container has CPU and memory requests and limits. */
export function checkResources(context: PolicyContext): PolicyFinding[] {
  return context.templates.flatMap((t) => allContainers(t.spec).flatMap((c) => {
    const missing = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']
      .filter((field) => { const [kind, name] = field.split('.'); return c.resources?.[kind]?.[name] === undefined; });
    return missing.length === 0 ? [] : [context.finding(Policy.RESOURCES, t.owner, `container '${c.name}' has no ${missing.join(', ')}`, 'Set CPU and memory requests and limits (the construct\'s resources prop).')];
  }));
}

/**
 * Every container states how much node disk its logs and writable layer may use, every emptyDir
 * its size, and the containers' limits cover the disk-backed emptyDirs (the kubelet counts them
 * against the pod's limits): otherwise one pod fills the node's disk and the kubelet evicts its
 * neighbours, or evicts the pod itself before its emptyDir is full.
 */
export function checkEphemeralStorage(context: PolicyContext): PolicyFinding[] {
  return context.templates.flatMap((t) => {
    const containers: Json[] = [...(t.spec.initContainers ?? []), ...(t.spec.containers ?? [])];
    const findings = containers.flatMap((c) => {
      const missing = ['requests', 'limits'].filter((kind) => c.resources?.[kind]?.[EPHEMERAL_STORAGE] === undefined).map((kind) => `${kind}.${EPHEMERAL_STORAGE}`);
      return missing.length === 0 ? [] : [context.finding(Policy.EPHEMERAL_STORAGE, t.owner, `container '${c.name}' has no ${missing.join(', ')}`,
        'Set ephemeral-storage requests and limits for its logs and writable layer (the pod builder sets a default unless the construct states them).')];
    });
    const volumes: Json[] = t.spec.volumes ?? [];
    for (const volume of volumes.filter((v) => v.emptyDir !== undefined && v.emptyDir.sizeLimit === undefined)) {
      findings.push(context.finding(Policy.EPHEMERAL_STORAGE, t.owner, `emptyDir '${volume.name}' has no sizeLimit`,
        'Give the emptyDir a sizeLimit, the most it may hold.'));
    }
    const shortfall = emptyDirShortfall(t.spec, volumes);
    if (shortfall) {
      findings.push(context.finding(Policy.EPHEMERAL_STORAGE, t.owner,
        `its disk-backed emptyDirs may hold ${binaryQuantity(shortfall.emptyDirs)} but its ephemeral-storage limits allow the pod ${binaryQuantity(shortfall.limit)}, so the kubelet evicts it before they are full`,
        'Raise the ephemeral-storage limit of a container that mounts them by their sizeLimit, or lower the sizeLimit.'));
    }
    return findings;
  });
}

/** The pod's ephemeral-storage limit (its containers' sum, or its largest init container's) when below what its disk-backed emptyDirs may hold. */
function emptyDirShortfall(spec: Json, volumes: readonly Json[]): { emptyDirs: number; limit: number } | undefined {
  const containers: Json[] = spec.containers ?? [];
  const initContainers: Json[] = spec.initContainers ?? [];
  // An emptyDir no container mounts stays empty.
  const mounted = new Set([...containers, ...initContainers].flatMap((c) => (c.volumeMounts ?? []).map((m: Json) => m.name)));
  const sizes = volumes.filter((v) => v.emptyDir !== undefined && v.emptyDir.medium !== 'Memory' && mounted.has(v.name)).map((v) => v.emptyDir.sizeLimit);
  const limitOf = (c: Json): unknown => c.resources?.limits?.[EPHEMERAL_STORAGE];
  // Unknown sizes or limits are reported above, or leave nothing to compare.
  if (sizes.length === 0 || ![...sizes, ...[...containers, ...initContainers].map(limitOf)].every(isQuantity)) return undefined;
  const emptyDirs = sizes.reduce((sum: number, size) => sum + memoryBytes(size), 0);
  const limit = Math.max(containers.reduce((sum: number, c) => sum + memoryBytes(limitOf(c) as string), 0), ...initContainers.map((c) => memoryBytes(limitOf(c) as string)));
  return emptyDirs > limit ? { emptyDirs, limit } : undefined;
}

/** Every workload in an application namespace is selected by a NetworkPolicy written for it. */
export function checkNetworkPolicyCoverage(context: PolicyContext): PolicyFinding[] {
  // From each policy to the templates it selects: only templates sharing a label are compared.
  const covered = new Set(context.ofKind('NetworkPolicy').filter((p) => hasLabels(p.json.spec?.podSelector))
    .flatMap((p) => context.templatesSelectedBy(namespaceOf(p), p.json.spec.podSelector, false)));
  return context.templates.filter((t) => !context.privilegedNamespaces.has(t.namespace)).flatMap((t) => {
    return covered.has(t) ? [] : [context.finding(Policy.NETWORK_POLICY_COVERAGE, t.owner, 'no NetworkPolicy selects its pods specifically (a namespace-wide default deny alone leaves it unreachable)', 'Add a NetworkPolicy with the explicit allows this workload needs.')];
  });
}

function hasLabels(selector: Json | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length > 0 || (selector?.matchExpressions ?? []).length > 0;
}

/** No image uses `latest` or no tag at all. */
export function checkImages(context: PolicyContext): PolicyFinding[] {
  return context.templates.flatMap((t) => allContainers(t.spec).flatMap((c) => {
    const image: string = c.image ?? '';
    const lastSegment = image.split('@')[0].split('/').pop() ?? '';
    const pinned = image.includes('@sha256:') || (lastSegment.includes(':') && !lastSegment.endsWith(':latest'));
    return pinned ? [] : [context.finding(Policy.PINNED_IMAGES, t.owner, `container '${c.name}' uses image '${image}', which is untagged or latest`, 'Pin the image to a version tag or a digest.')];
  }));
}

function gpusOf(spec: Json): number {
  return allContainers(spec).reduce((sum, c) => sum + Number(c.resources?.limits?.[GPU_RESOURCE] ?? 0), 0);
}

/** GPU pods carry the runtime class and the toleration; total GPU demand fits the declared capacity. */
export function checkGpuScheduling(context: PolicyContext): PolicyFinding[] {
  const gpuTemplates = context.templates.filter((t) => gpusOf(t.spec) > 0);
  const findings = gpuTemplates.flatMap((t) => {
    const problems: string[] = [];
    if (t.spec.runtimeClassName !== 'nvidia') problems.push("it requests GPUs without runtimeClassName 'nvidia', so NVML is not available");
    const tolerates = (t.spec.tolerations ?? []).some((tol: Json) => tol.key === GPU_RESOURCE && (tol.operator === 'Exists' || tol.operator === 'Equal') && (!tol.effect || tol.effect === 'NoSchedule'));
    if (!tolerates) problems.push(`it requests GPUs without tolerating the ${GPU_RESOURCE} taint, so it cannot land on GPU nodes`);
    return problems.map((p) => context.finding(Policy.GPU_SCHEDULING, t.owner, p, `Set runtimeClassName: nvidia and tolerate ${GPU_RESOURCE}:NoSchedule (GpuWorkerPool does both).`));
  });
  if (context.gpuCapacity !== undefined && gpuTemplates.length > 0) {
    const demand = gpuTemplates.map((t) => ({ t, gpus: gpusOf(t.spec) * maximumSize(context, t.owner) }));
    const total = demand.reduce((sum, d) => sum + d.gpus, 0);
    if (total > context.gpuCapacity) {
      findings.push(context.finding(Policy.GPU_SCHEDULING, demand[0].t.owner,
        `GPU demand at maximum scale is ${total} (${demand.map((d) => `${d.t.owner.json.metadata.name}: ${d.gpus}`).join(', ')}), more than the ${context.gpuCapacity} the inventory declares`,
        'Lower maxWorkers or GPUs per worker, or declare more GPU nodes.'));
    }
  }
  return findings;
}

function maximumSize(context: PolicyContext, workload: IndexedObject): number {
  const name = workload.json.metadata?.name;
  const ns = namespaceOf(workload);
  const hpa = context.autoscalersOf('HorizontalPodAutoscaler', ns, name)[0];
  if (hpa) return hpa.json.spec.maxReplicas;
  const so = context.autoscalersOf('ScaledObject', ns, name)[0];
  if (so) return so.json.spec.maxReplicaCount ?? 100;
  return workload.json.spec?.replicas ?? 1;
}
