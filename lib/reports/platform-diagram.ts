import { App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { readEmbeddedYaml } from '../synth/embedded-yaml';
import { CAMERA_INFO_RECORD } from '../ingest/rules';
import { GpuInventory } from '../inference/gpu-inventory';
import { GPU_RESOURCE } from '../inference/gpu-scheduling';
import { sanitizeLabelName } from '../monitoring/_format';
import { IndexedObject, Json, indexObjects, podTemplates, selectorMatches } from '../synth/policy/_objects';
import { MinMax } from './capacity-report';
import { BesideOutputOptions, MarkdownReport, besideOutput } from './beside-output';
import { COMPONENT_LABEL, INSTANCE_LABEL, NAME_LABEL } from '../core/labels';

/** Options of {@link PlatformDiagram.of}. */
export interface PlatformDiagramOptions {
  /**
   * The camera label that names a camera's site.
   * @default 'site'
   */
  readonly siteLabel?: string;
  /**
   * GPU nodes of the cluster, for a platform whose GPU nodes no GpuInventory of the scope declares.
   * @default - the GpuInventory's; without one, the count is not shown
   */
  readonly gpuNodes?: number;
}

/** Options of {@link PlatformDiagram.writeBeside}. */
/** Options of {@link PlatformDiagram.writeBeside}: the report's options, and where it goes (`reports/platform.md` by default). */
export interface PlatformDiagramFileOptions extends PlatformDiagramOptions, BesideOutputOptions {}

/** The cameras of one site that one ingest pulls. */
export interface DiagramSite {
  /** Value of the site label; `(no site)` for cameras without it. */
  readonly site: string;
  /** The ingest, as `namespace/name`. */
  readonly ingest: string;
  readonly cameras: number;
}

/** One stream ingest: its shard workloads. */
export interface DiagramIngest {
  readonly namespace: string;
  readonly name: string;
  /** Shard workloads. */
  readonly shards: number;
  /** Replicas of one shard (the smallest and the largest shard). */
  readonly replicasPerShard: MinMax<number>;
  /** Cameras the shards pull. */
  readonly cameras: number;
}

/** One detection type: an analysis service. */
export interface DiagramDetection {
  readonly namespace: string;
  readonly name: string;
  /** Replicas, from its autoscaler or `spec.replicas`. */
  readonly replicas: MinMax<number>;
  /** The ingests it reads (`namespace/name`), with the cameras it analyses from each when its camera list says. */
  readonly reads: ReadonlyArray<{ readonly ingest: string; readonly cameras?: number }>;
  /** The inference pools it calls (`namespace/name`). */
  readonly inference: readonly string[];
}

/** One GPU inference pool. */
export interface DiagramPool {
  readonly namespace: string;
  readonly name: string;
  readonly workers: MinMax<number>;
  /** Units of `nvidia.com/gpu` each worker requests (GPU slices with time-slicing). */
  readonly gpusPerWorker: number;
  /** The GPU nodes it runs on (an index into {@link PlatformDiagramData.gpuNodes}). */
  readonly gpuNodes?: number;
}

/** A set of GPU nodes. */
export interface DiagramGpuNodes {
  /** The GpuInventory that declares them, by construct path, if one does. */
  readonly inventory?: string;
  /** Number of nodes, if declared. */
  readonly nodes?: number;
  readonly gpusPerNode?: number;
  /** Units of `nvidia.com/gpu` per physical GPU: 1 without time-slicing. */
  readonly slicesPerGpu: number;
}

/** One Prometheus and what it scrapes. */
export interface DiagramPrometheus {
  readonly namespace: string;
  readonly name: string;
  /** Replicas; undefined for an operator's Prometheus, which is not among the objects. */
  readonly replicas?: number;
  /** Whether it is a Prometheus operator's, fed by PodMonitors, rather than one among the objects. */
  readonly operator: boolean;
  /** Every scrape job (or PodMonitor). */
  readonly jobs: readonly string[];
  /** The parts it scrapes: `ingest:`, `detection:`, `pool:` and `namespace/name`, or `gpu-nodes:<index>`. */
  readonly scrapes: readonly string[];
  /** Jobs that scrape none of the parts (the platform's own: nodes, kubelets, the monitoring stack). */
  readonly otherJobs: readonly string[];
}

/** Everything the diagram shows, for tests and tools. */
export interface PlatformDiagramData {
  readonly sites: readonly DiagramSite[];
  readonly ingests: readonly DiagramIngest[];
  readonly detections: readonly DiagramDetection[];
  readonly pools: readonly DiagramPool[];
  readonly gpuNodes: readonly DiagramGpuNodes[];
  readonly monitoring: readonly DiagramPrometheus[];
}

/**
 * A picture of the platform, drawn from the JSON of the objects it synthesizes: sites and their
 * cameras, ingest shards, each detection with its replicas, inference pools with their workers and
 * GPU request, the GPU nodes and what Prometheus scrapes, with counts; as a Mermaid flowchart in
 * Markdown, which GitHub renders.
 *
 * It reads the objects, not the constructs that made them, so it shows any composition of the
 * library's parts: components are recognized by their `app.kubernetes.io/component` label, links
 * by the NetworkPolicies, sites by the camera series the ingest's rules record. The one exception
 * is the GPU node count, which no object carries: it comes from the scope's GpuInventory (or
 * {@link PlatformDiagramOptions.gpuNodes}).
 *
 * @example
 * app.synth();
 * PlatformDiagram.writeBeside(app); // reports/platform.md, beside dist/
 */
export class PlatformDiagram extends MarkdownReport {
  /** The diagram of every object under `scope` (usually the App). */
  public static of(scope: IConstruct, options: PlatformDiagramOptions = {}): PlatformDiagram {
    return new PlatformDiagram(scope, options);
  }

  /**
   * Writes the Markdown diagram beside the app's output folder, never in it (Argo CD would read
   * it as a manifest): `reports/platform.md` next to `dist/` by default.
   * @returns the path written
   */
  public static writeBeside(app: App, options: PlatformDiagramFileOptions = {}): string {
    return PlatformDiagram.of(app, options).writeMarkdown(besideOutput(app, options, 'platform.md'));
  }

  private data?: PlatformDiagramData;

  private constructor(private readonly scope: IConstruct, private readonly options: PlatformDiagramOptions) {
    super();
    const nodes = options.gpuNodes;
    if (nodes !== undefined && !(Number.isInteger(nodes) && nodes >= 1)) {
      throw new Error(`PlatformDiagram: 'gpuNodes' (${nodes}) must be an integer >= 1. Leave it out to take the count from the GpuInventory.`);
    }
  }

  /** What the diagram shows, computed once. */
  public toJson(): PlatformDiagramData {
    this.data ??= readPlatform(this.scope, this.options);
    return this.data;
  }

  /** The Mermaid flowchart alone. */
  public toMermaid(): string {
    return renderFlowchart(this.toJson());
  }

  /** The diagram as Markdown: a heading, the flowchart in a `mermaid` block, and what it shows. */
  public override toMarkdown(): string {
    const mermaid = this.toMermaid();
    const edges = mermaid.split('\n').filter((line) => line.includes('--')).length;
    const sections = [
      '# Platform',
      'Generated from the synthesized objects by `PlatformDiagram` (`main.ts` writes it on every synth); do not edit.',
      `Sites: cameras by their \`${this.options.siteLabel ?? 'site'}\` label. Ingest: shards × replicas per shard. Detections: replicas min..max.`
        + ' Inference pools: workers min..max and the `nvidia.com/gpu` units each worker requests. Dotted lines: what Prometheus scrapes.',
      `\`\`\`mermaid\n${mermaid}\`\`\``,
    ];
    if (edges > GITHUB_MAX_EDGES || mermaid.length > GITHUB_MAX_TEXT) {
      sections.push(`_The diagram has ${edges} edges and ${mermaid.length} characters; GitHub renders Mermaid diagrams of at most ${GITHUB_MAX_EDGES} edges`
        + ` and ${GITHUB_MAX_TEXT} characters. Render it with the Mermaid CLI (\`mmdc\`), which takes both limits as settings._`);
    }
    return `${sections.join('\n\n')}\n`;
  }

}

/** Mermaid's defaults (`maxEdges`, `maxTextSize`), which GitHub keeps. */
const GITHUB_MAX_EDGES = 500;
const GITHUB_MAX_TEXT = 50_000;

const COMPONENT = COMPONENT_LABEL;
const INSTANCE = INSTANCE_LABEL;
const NAME = NAME_LABEL;
/** The `app.kubernetes.io/component` of the parts' workloads. */
const INGEST_COMPONENT = 'stream-ingest';
const ANALYSIS_COMPONENT = 'analysis';
const POOL_COMPONENT = 'gpu-worker-pool';
const NO_SITE = '(no site)';
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
/** The kinds the diagram reads. */
const READ_KINDS: ReadonlySet<string> = new Set([
  ...WORKLOAD_KINDS, 'ConfigMap', 'Service', 'NetworkPolicy', 'HorizontalPodAutoscaler', 'ScaledObject', 'PodMonitor', 'PrometheusRule',
]);

type Labels = { readonly [key: string]: string };

/** One camera of a detection's camera list (`cameras.json`). */
interface CameraEntry {
  readonly id?: string;
  readonly streamUrl?: string;
  readonly labels?: Labels;
}

/** A part of the platform: its workloads' pods. */
interface Part {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly workloads: readonly Workload[];
}

interface Workload {
  readonly object: IndexedObject;
  readonly namespace: string;
  readonly labels: Labels;
  readonly spec: Json;
}

// ---------------------------------------------------------------------------------------------
// Reading the objects

function readPlatform(scope: IConstruct, options: PlatformDiagramOptions): PlatformDiagramData {
  const objects = indexObjects(scope, (object) => object.toJson(), READ_KINDS);
  const index = new ObjectIndex(objects);
  const ingests = index.parts('ingest', INGEST_COMPONENT);
  const detections = index.parts('detection', ANALYSIS_COMPONENT);
  const pools = index.parts('pool', POOL_COMPONENT);
  const gpuNodes = gpuNodeSets(scope, index, options.gpuNodes);
  const gpuAgents: Part[] = gpuNodes.map((_, i) => ({ key: `gpu-nodes:${i}`, namespace: '', name: '', workloads: index.gpuAgents() }));
  const camerasOf = new Map(ingests.map((ingest) => [ingest.key, index.ingestCameras(ingest)]));
  return {
    sites: sitesOf(ingests, camerasOf, index, detections, options.siteLabel ?? 'site'),
    ingests: ingests.map((ingest) => ({
      namespace: ingest.namespace,
      name: ingest.name,
      shards: ingest.workloads.length,
      replicasPerShard: range(ingest.workloads.map((w) => index.replicas(w).max)),
      cameras: camerasOf.get(ingest.key)!.length,
    })),
    detections: detections.map((detection) => ({
      namespace: detection.namespace,
      name: detection.name,
      replicas: index.partReplicas(detection),
      reads: ingests.filter((ingest) => index.talksTo(detection, ingest)).map((ingest) => ({
        ingest: qualified(ingest),
        cameras: index.camerasRead(detection, ingest),
      })),
      inference: pools.filter((pool) => index.talksTo(detection, pool)).map(qualified),
    })),
    pools: pools.map((pool) => ({
      namespace: pool.namespace,
      name: pool.name,
      workers: index.partReplicas(pool),
      gpusPerWorker: Math.max(0, ...pool.workloads.map((w) => gpuUnits(w.spec))),
      gpuNodes: gpuNodesOf(pool, gpuNodes, scope),
    })),
    gpuNodes,
    monitoring: index.prometheuses([...ingests, ...detections, ...pools, ...gpuAgents]),
  };
}

function qualified(part: { readonly namespace: string; readonly name: string }): string {
  return `${part.namespace}/${part.name}`;
}

function range(values: readonly number[]): MinMax<number> {
  return values.length === 0 ? { min: 0, max: 0 } : { min: Math.min(...values), max: Math.max(...values) };
}

function gpuUnits(spec: Json): number {
  return (spec.containers ?? []).reduce((sum: number, c: Json) => sum + Number(c.resources?.limits?.[GPU_RESOURCE] ?? 0), 0);
}

/** The objects, indexed for the questions the diagram asks. */
class ObjectIndex {
  private readonly workloads: Workload[];
  private readonly configMaps = new Map<string, Json>();
  /** Autoscalers by `<namespace>/<target kind>/<target name>`. */
  private readonly autoscalers = new Map<string, IndexedObject>();
  /** NetworkPolicies with egress rules, by namespace. */
  private readonly egressPolicies = new Map<string, IndexedObject[]>();
  private readonly peersOf = new Map<Part, Array<{ peer: Json; namespace: string }>>();
  private readonly services = new Map<Part, Set<string>>();
  private readonly cameraLists = new Map<Part, CameraEntry[] | undefined>();

  constructor(private readonly objects: readonly IndexedObject[]) {
    this.workloads = podTemplates(objects.filter((o) => WORKLOAD_KINDS.has(o.json.kind)))
      .map((t) => ({ object: t.owner, namespace: t.namespace, labels: t.labels, spec: t.spec }));
    for (const o of objects) {
      const { kind, spec } = o.json;
      if (kind === 'ConfigMap') this.configMaps.set(`${o.ref.namespace}/${o.ref.name}`, o.json);
      // An HPA wins over a ScaledObject, as the policies count them.
      if ((kind === 'HorizontalPodAutoscaler' || kind === 'ScaledObject') && spec?.scaleTargetRef?.name) {
        const key = `${o.ref.namespace}/${spec.scaleTargetRef.kind ?? 'Deployment'}/${spec.scaleTargetRef.name}`;
        if (kind === 'HorizontalPodAutoscaler' || !this.autoscalers.has(key)) this.autoscalers.set(key, o);
      }
      if (kind === 'NetworkPolicy' && (spec?.policyTypes ?? []).includes('Egress')) {
        const namespace = o.ref.namespace ?? 'default';
        if (!this.egressPolicies.has(namespace)) this.egressPolicies.set(namespace, []);
        this.egressPolicies.get(namespace)!.push(o);
      }
    }
  }

  /** The parts of one component: its workloads grouped by namespace and instance. */
  parts(kind: string, component: string): Part[] {
    const parts = new Map<string, Part & { workloads: Workload[] }>();
    for (const workload of this.workloads.filter((w) => w.labels[COMPONENT] === component)) {
      const name = workload.labels[INSTANCE] ?? workload.object.ref.name ?? '';
      const key = `${kind}:${workload.namespace}/${name}`;
      if (!parts.has(key)) parts.set(key, { key, namespace: workload.namespace, name, workloads: [] });
      parts.get(key)!.workloads.push(workload);
    }
    return [...parts.values()].sort(by((p) => p.key));
  }

  /** DaemonSets that run on the GPU nodes: they tolerate the GPU taint. */
  gpuAgents(): Workload[] {
    return this.workloads.filter((w) => w.object.json.kind === 'DaemonSet' && (w.spec.tolerations ?? []).some((t: Json) => t.key === GPU_RESOURCE));
  }

  /** A workload's replicas: its autoscaler's range, or `spec.replicas`. */
  replicas(workload: Workload): MinMax<number> {
    const autoscaler = this.autoscalers.get(`${workload.namespace}/${workload.object.json.kind}/${workload.object.ref.name}`)?.json;
    if (autoscaler?.kind === 'HorizontalPodAutoscaler') return { min: autoscaler.spec.minReplicas ?? 1, max: autoscaler.spec.maxReplicas };
    if (autoscaler?.kind === 'ScaledObject') return { min: autoscaler.spec.minReplicaCount ?? 0, max: autoscaler.spec.maxReplicaCount ?? 100 };
    const replicas = workload.object.json.spec?.replicas ?? 1;
    return { min: replicas, max: replicas };
  }

  /** A part's replicas, over all its workloads. */
  partReplicas(part: Part): MinMax<number> {
    return part.workloads.map((w) => this.replicas(w)).reduce((sum, r) => ({ min: sum.min + r.min, max: sum.max + r.max }), { min: 0, max: 0 });
  }

  /** Whether a NetworkPolicy of `client` lets its pods reach pods of `server`: the links the parts declared. */
  talksTo(client: Part, server: Part): boolean {
    return this.egressPeers(client).some(({ peer, namespace }) => server.workloads.some((to) => peerSelects(peer, namespace, to)));
  }

  /** Where a part's pods may connect to: the peers of the egress rules of every policy that selects them. */
  private egressPeers(part: Part): Array<{ peer: Json; namespace: string }> {
    let peers = this.peersOf.get(part);
    if (peers === undefined) {
      const policies = (this.egressPolicies.get(part.namespace) ?? []).filter((policy) => part.workloads.some((w) => selectorMatches(policy.json.spec.podSelector, w.labels)));
      peers = policies.flatMap((policy) => (policy.json.spec.egress ?? []).flatMap((rule: Json) => (rule.to ?? []).map((peer: Json) => ({ peer, namespace: policy.ref.namespace! }))));
      this.peersOf.set(part, peers);
    }
    return peers;
  }

  /** The camera ids an ingest's shards pull: the `paths` of the MediaMTX configuration in their ConfigMaps. */
  ingestCameras(ingest: Part): string[] {
    return [...new Set(ingest.workloads.flatMap((w) => this.mountedFiles(w).flatMap(([file, text]) => {
      if (!/\.ya?ml$/.test(file)) return [];
      const config = parseQuietly(text);
      return config && typeof config.paths === 'object' && config.paths !== null ? Object.keys(config.paths) : [];
    })))].sort();
  }

  /** The cameras a detection reads from an ingest, by its camera list's stream URLs: undefined without one. */
  camerasRead(detection: Part, ingest: Part): number | undefined {
    return this.cameraList(detection)?.filter((camera) => this.streamsFrom(ingest, camera.streamUrl, detection.namespace)).length;
  }

  /** Whether a stream URL (`rtsp://<service>.<namespace>.svc...`) points at one of the ingest's Services. */
  streamsFrom(ingest: Part, url: string | undefined, defaultNamespace: string): boolean {
    const host = hostOf(url);
    return host !== undefined && (host.namespace ?? defaultNamespace) === ingest.namespace && this.servicesOf(ingest).has(host.service);
  }

  /** Names of the Services that select a part's pods. */
  private servicesOf(part: Part): Set<string> {
    const selects = (service: IndexedObject): boolean => service.json.spec?.selector !== undefined
      && part.workloads.some((w) => Object.entries(service.json.spec.selector as Labels).every(([k, v]) => w.labels[k] === v));
    if (!this.services.has(part)) {
      this.services.set(part, new Set(this.objects.filter((o) => o.json.kind === 'Service' && o.ref.namespace === part.namespace && selects(o)).map((o) => o.ref.name ?? '')));
    }
    return this.services.get(part)!;
  }

  /** The camera list (`cameras.json`) mounted into a detection's pods, if any. */
  cameraList(part: Part): CameraEntry[] | undefined {
    if (!this.cameraLists.has(part)) this.cameraLists.set(part, this.readCameraList(part));
    return this.cameraLists.get(part);
  }

  private readCameraList(part: Part): CameraEntry[] | undefined {
    for (const [file, text] of part.workloads.flatMap((w) => this.mountedFiles(w))) {
      if (!file.endsWith('.json')) continue;
      try {
        const list = JSON.parse(text);
        if (Array.isArray(list) && list.every((c) => typeof c === 'object' && c !== null && 'id' in c)) return list;
      } catch {
        // Not a camera list.
      }
    }
    return undefined;
  }

  /** Camera labels the ingests' rules record: one series per camera, labelled with its namespace, job and id. */
  cameraInfo(): Array<{ namespace?: string; job?: string; camera?: string; labels: Labels }> {
    const groups = [
      ...[...this.configMaps.values()].flatMap((cm) => Object.values(cm.data ?? {}).flatMap((text) => {
        const rules = typeof text === 'string' && text.includes(CAMERA_INFO_RECORD) ? parseQuietly(text) : undefined;
        return Array.isArray(rules?.groups) ? rules.groups : [];
      })),
      ...this.objects.filter((o) => o.json.kind === 'PrometheusRule').flatMap((o) => o.json.spec?.groups ?? []),
    ];
    return groups.flatMap((group: Json) => (group.rules ?? []).filter((rule: Json) => rule.record === CAMERA_INFO_RECORD))
      .map((rule: Json) => ({ namespace: rule.labels?.namespace, job: rule.labels?.job, camera: rule.labels?.name, labels: rule.labels ?? {} }));
  }

  /** Every Prometheus among the objects (or, with PodMonitors, the operator's) and what it scrapes of `parts`. */
  prometheuses(parts: readonly Part[]): DiagramPrometheus[] {
    const own = this.workloads.filter((w) => w.labels[NAME] === 'prometheus' && w.object.json.kind !== 'DaemonSet').map((w) => {
      const jobs = this.mountedFiles(w).flatMap(([, text]) => {
        const config = text.includes('scrape_configs') ? parseQuietly(text) : undefined;
        return Array.isArray(config?.scrape_configs) ? config.scrape_configs as Json[] : [];
      });
      return scrapes(w.namespace, w.object.ref.name ?? 'prometheus', this.replicas(w).max, false, jobs.map((job) => ({ name: String(job.job_name), selects: (pod: Workload) => jobSelects(job, pod) })), parts);
    });
    const podMonitors = this.objects.filter((o) => o.json.kind === 'PodMonitor');
    if (podMonitors.length === 0) return own;
    const namespace = [...new Set(podMonitors.map((m) => m.ref.namespace ?? 'default'))].sort().join(', ');
    return [...own, scrapes(namespace, 'prometheus', undefined, true,
      podMonitors.map((m) => ({ name: m.ref.name ?? '', selects: (pod: Workload) => podMonitorSelects(m, pod) })), parts)];
  }

  /** The files of the ConfigMaps a workload mounts, as [key, text]. */
  private mountedFiles(workload: Workload): Array<[string, string]> {
    const names = [
      ...(workload.spec.volumes ?? []).map((v: Json) => v.configMap?.name),
      ...(workload.spec.volumes ?? []).flatMap((v: Json) => (v.projected?.sources ?? []).map((s: Json) => s.configMap?.name)),
    ].filter((n): n is string => typeof n === 'string');
    return names.flatMap((name) => Object.entries((this.configMaps.get(`${workload.namespace}/${name}`)?.data ?? {}) as Record<string, string>));
  }
}

function scrapes(namespace: string, name: string, replicas: number | undefined, operator: boolean, jobs: ReadonlyArray<{ name: string; selects: (pod: Workload) => boolean }>,
  parts: readonly Part[]): DiagramPrometheus {
  const scraped = parts.filter((part) => jobs.some((job) => part.workloads.some(job.selects)));
  const otherJobs = jobs.filter((job) => !parts.some((part) => part.workloads.some(job.selects))).map((job) => job.name);
  return { namespace, name, replicas, operator, jobs: jobs.map((j) => j.name).sort(), scrapes: scraped.map((p) => p.key), otherJobs: [...new Set(otherJobs)].sort() };
}

/**
 * Whether a pod-role scrape job keeps a workload's pods: its namespaces and its `keep` rules on
 * pod labels (port and phase rules left aside: every part's pods expose their metrics port).
 */
function jobSelects(job: Json, pod: Workload): boolean {
  const discovery = (job.kubernetes_sd_configs ?? []).filter((sd: Json) => sd.role === 'pod');
  if (discovery.length === 0) return false;
  const inNamespace = discovery.some((sd: Json) => !sd.namespaces?.names || sd.namespaces.names.includes(pod.namespace));
  if (!inNamespace) return false;
  const byLabel = new Map(Object.entries(pod.labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${sanitizeLabelName(k)}`, v]));
  return (job.relabel_configs ?? []).every((rule: Json) => {
    if (rule.action !== 'keep' || (rule.source_labels ?? []).length !== 1) return true;
    const source: string = rule.source_labels[0];
    const value = source === '__meta_kubernetes_namespace' ? pod.namespace : source.startsWith('__meta_kubernetes_pod_label_') ? byLabel.get(source) ?? '' : undefined;
    return value === undefined || new RegExp(`^(?:${rule.regex ?? '(.*)'})$`).test(value);
  });
}

function podMonitorSelects(monitor: IndexedObject, pod: Workload): boolean {
  const namespaces = monitor.json.spec?.namespaceSelector;
  const inNamespace = namespaces?.any === true || (namespaces?.matchNames ?? [monitor.ref.namespace]).includes(pod.namespace);
  return inNamespace && selectorMatches(monitor.json.spec?.selector ?? {}, pod.labels);
}

/** Whether a NetworkPolicy peer (of a policy in `policyNamespace`) selects a workload's pods. */
function peerSelects(peer: Json, policyNamespace: string, workload: Workload): boolean {
  if (peer.ipBlock) return false;
  const namespaceLabels = { 'kubernetes.io/metadata.name': workload.namespace };
  const inNamespace = peer.namespaceSelector === undefined ? workload.namespace === policyNamespace : selectorMatches(peer.namespaceSelector, namespaceLabels);
  return inNamespace && (peer.podSelector === undefined || selectorMatches(peer.podSelector, workload.labels));
}

/** `rtsp://<service>.<namespace>.svc...:8554/<path>`: the Service and namespace a stream URL names. */
function hostOf(url: string | undefined): { service: string; namespace?: string } | undefined {
  if (url === undefined) return undefined;
  try {
    const [service, namespace] = new URL(url).hostname.split('.');
    return { service, namespace };
  } catch {
    return undefined;
  }
}

function parseQuietly(text: string): Json | undefined {
  try {
    const parsed = readEmbeddedYaml(text) as Json;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cameras per site and ingest: each camera the ingest pulls (its MediaMTX paths), with the site
 * label a detection's camera list gives it or, for cameras no detection analyses, the one the
 * ingest's rules record (the series `job_name:ingest_camera:info`, labelled with every camera
 * label); else none. Both come from the same camera declaration.
 */
function sitesOf(ingests: readonly Part[], camerasOf: ReadonlyMap<string, readonly string[]>, index: ObjectIndex, detections: readonly Part[], siteLabel: string): DiagramSite[] {
  const siteOf = new Map<string, string>();
  const cameraKey = (ingest: Part, camera: string): string => `${ingest.key}\0${camera}`;
  for (const detection of detections) {
    for (const camera of index.cameraList(detection) ?? []) {
      const site = camera.labels?.[siteLabel];
      const ingest = ingests.find((i) => index.streamsFrom(i, camera.streamUrl, detection.namespace));
      if (camera.id !== undefined && site !== undefined && ingest !== undefined) siteOf.set(cameraKey(ingest, camera.id), site);
    }
  }
  // The ingest's own record lists every camera, analysed or not; reading it (YAML rule files,
  // thousands of lines) costs more than the rest together, so only for cameras no list names.
  const unnamed = ingests.some((ingest) => camerasOf.get(ingest.key)!.some((camera) => !siteOf.has(cameraKey(ingest, camera))));
  const label = sanitizeLabelName(siteLabel);
  for (const info of unnamed ? index.cameraInfo() : []) {
    const site = info.labels[label];
    if (info.camera === undefined || site === undefined) continue;
    const ingest = ingests.find((i) => i.namespace === info.namespace && i.name === info.job)
      ?? ingests.find((i) => i.namespace === info.namespace && camerasOf.get(i.key)!.includes(info.camera!));
    if (ingest) siteOf.set(cameraKey(ingest, info.camera), site);
  }
  const counts = new Map<string, DiagramSite>();
  for (const ingest of ingests) {
    for (const camera of camerasOf.get(ingest.key)!) {
      const site = siteOf.get(cameraKey(ingest, camera)) ?? NO_SITE;
      const key = `${site}\0${ingest.key}`;
      const entry = counts.get(key) ?? { site, ingest: qualified(ingest), cameras: 0 };
      counts.set(key, { ...entry, cameras: entry.cameras + 1 });
    }
  }
  return [...counts.values()].sort(by((s) => `${s.site}\0${s.ingest}`));
}

/** The GPU nodes: each GpuInventory of the scope, or the count given, or (with GPU agents only) an unknown count. */
function gpuNodeSets(scope: IConstruct, index: ObjectIndex, gpuNodes: number | undefined): DiagramGpuNodes[] {
  const inventories = scope.node.findAll().filter((c): c is GpuInventory => c instanceof GpuInventory).sort(by((i) => i.node.path));
  if (inventories.length > 0) {
    return inventories.map((inventory) => ({ inventory: inventory.node.path, nodes: inventory.nodes, gpusPerNode: inventory.gpusPerNode, slicesPerGpu: inventory.sharing.replicas }));
  }
  if (gpuNodes === undefined && index.gpuAgents().length === 0) return [];
  return [{ nodes: gpuNodes, slicesPerGpu: 1 }];
}

/** The GPU nodes a pool runs on: the inventory whose node labels its pods require, or the only one. */
function gpuNodesOf(pool: Part, gpuNodes: readonly DiagramGpuNodes[], scope: IConstruct): number | undefined {
  if (gpuNodes.length <= 1) return gpuNodes.length === 1 && pool.workloads.some((w) => gpuUnits(w.spec) > 0) ? 0 : undefined;
  const inventories = new Map(scope.node.findAll().filter((c): c is GpuInventory => c instanceof GpuInventory).map((i) => [i.node.path, i]));
  const required = (w: Workload): Labels => ({
    ...(w.spec.nodeSelector ?? {}),
    ...Object.fromEntries((w.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
      .flatMap((term: Json) => term.matchExpressions ?? []).filter((e: Json) => e.operator === 'In' && e.values?.length === 1).map((e: Json) => [e.key, e.values[0]])),
  });
  const index = gpuNodes.findIndex((set) => {
    const selector = set.inventory ? inventories.get(set.inventory)?.nodeSelector ?? {} : {};
    return pool.workloads.some((w) => Object.entries(selector).every(([k, v]) => required(w)[k] === v));
  });
  return index < 0 ? undefined : index;
}

// ---------------------------------------------------------------------------------------------
// The flowchart

/** Mermaid flowchart text with ids of its own making and every label quoted and escaped. */
class Flowchart {
  private readonly lines = ['flowchart LR'];
  private readonly ids = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private depth = 1;

  /** Declares a node for `key` with the given lines of text; returns its id. */
  node(key: string, prefix: string, text: readonly string[]): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    const id = `${prefix}${n}`;
    this.ids.set(key, id);
    this.line(`${id}["${label(text)}"]`);
    return id;
  }

  id(key: string): string | undefined {
    return this.ids.get(key);
  }

  /** A subgraph `id` titled `title`, holding what `body` declares; nothing when the body is empty. */
  subgraph(id: string, title: string, items: number, body: () => void): void {
    if (items === 0) return;
    this.line(`subgraph ${id}["${label([title])}"]`);
    this.depth++;
    body();
    this.depth--;
    this.line('end');
  }

  edge(from: string, to: string, text: string, dotted = false): void {
    this.line(`${from} ${dotted ? '-.->' : '-->'}|"${label([text])}"| ${to}`);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private line(text: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${text}`);
  }
}

/** Characters with a meaning in Mermaid or HTML labels, as Mermaid's entity codes. */
const ESCAPES: Record<string, string> = { '"': '#quot;', '#': '#35;', '&': '#amp;', '<': '#lt;', '>': '#gt;', '`': '#96;' };

/** Lines of a node label, escaped, joined by line breaks. */
function label(lines: readonly string[]): string {
  return lines.map((line) => line.replace(/["#&<>`]/g, (c) => ESCAPES[c])).join('<br/>');
}

function minMax(value: MinMax<number>): string {
  return `${value.min}..${value.max}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function renderFlowchart(data: PlatformDiagramData): string {
  const chart = new Flowchart();
  const sites = [...new Set(data.sites.map((s) => s.site))];
  const camerasAt = (site: string): number => data.sites.filter((s) => s.site === site).reduce((n, s) => n + s.cameras, 0);
  chart.subgraph('sites', 'Sites', sites.length, () => {
    for (const site of sites) chart.node(`site:${site}`, 'site', [site, plural(camerasAt(site), 'camera')]);
  });
  chart.subgraph('ingestLayer', 'Ingest', data.ingests.length, () => {
    for (const ingest of data.ingests) {
      const replicas = ingest.replicasPerShard.min === ingest.replicasPerShard.max ? plural(ingest.replicasPerShard.max, 'replica') : `${minMax(ingest.replicasPerShard)} replicas`;
      chart.node(`ingest:${qualified(ingest)}`, 'ingest', [`${ingest.name} (${ingest.namespace})`, `${plural(ingest.shards, 'shard')} × ${replicas}`, plural(ingest.cameras, 'camera')]);
    }
  });
  chart.subgraph('analysisLayer', 'Detections', data.detections.length, () => {
    for (const detection of data.detections) {
      chart.node(`detection:${qualified(detection)}`, 'detection', [`${detection.name} (${detection.namespace})`, `replicas ${minMax(detection.replicas)}`]);
    }
  });
  chart.subgraph('inferenceLayer', 'Inference', data.pools.length, () => {
    for (const pool of data.pools) {
      const slicesPerGpu = pool.gpuNodes === undefined ? 1 : data.gpuNodes[pool.gpuNodes].slicesPerGpu;
      const share = slicesPerGpu > 1 ? ` (${round(pool.gpusPerWorker / slicesPerGpu)} GPU)` : '';
      chart.node(`pool:${qualified(pool)}`, 'pool', [`${pool.name} (${pool.namespace})`, `workers ${minMax(pool.workers)}`, `${pool.gpusPerWorker} × ${GPU_RESOURCE} per worker${share}`]);
    }
  });
  chart.subgraph('gpuLayer', 'GPU nodes', data.gpuNodes.length, () => {
    data.gpuNodes.forEach((set, i) => chart.node(`gpu-nodes:${i}`, 'gpu', gpuNodesText(set)));
  });
  chart.subgraph('monitoringLayer', 'Monitoring', data.monitoring.length, () => {
    data.monitoring.forEach((prometheus, i) => chart.node(`prometheus:${i}`, 'prom', [
      prometheus.operator ? `Prometheus of the operator (${prometheus.namespace})` : `Prometheus × ${prometheus.replicas} (${prometheus.namespace})`,
      prometheus.operator ? plural(prometheus.jobs.length, 'PodMonitor') : plural(prometheus.jobs.length, 'scrape job'),
      ...(prometheus.otherJobs.length > 0 ? [`also: ${prometheus.otherJobs.join(', ')}`] : []),
    ]));
  });

  for (const site of data.sites) chart.edge(chart.id(`site:${site.site}`)!, chart.id(`ingest:${site.ingest}`)!, plural(site.cameras, 'camera'));
  for (const detection of data.detections) {
    const id = chart.id(`detection:${qualified(detection)}`)!;
    for (const read of detection.reads) chart.edge(chart.id(`ingest:${read.ingest}`)!, id, read.cameras === undefined ? 'streams' : plural(read.cameras, 'camera'));
    for (const pool of detection.inference) chart.edge(id, chart.id(`pool:${pool}`)!, 'inference');
  }
  for (const pool of data.pools) {
    if (pool.gpuNodes !== undefined) chart.edge(chart.id(`pool:${qualified(pool)}`)!, chart.id(`gpu-nodes:${pool.gpuNodes}`)!, `up to ${pool.workers.max * pool.gpusPerWorker} × ${GPU_RESOURCE}`);
  }
  data.monitoring.forEach((prometheus, i) => {
    const from = chart.id(`prometheus:${i}`)!;
    for (const target of scrapeTargets(prometheus, data)) chart.edge(from, target.id ?? chart.id(target.key)!, target.text, true);
  });
  return chart.toString();
}

/** One edge per scraped part, or one to a whole layer whose every part (of two or more) is scraped. */
function scrapeTargets(prometheus: DiagramPrometheus, data: PlatformDiagramData): Array<{ key: string; id?: string; text: string }> {
  const layers: Array<{ id: string; keys: string[] }> = [
    { id: 'ingestLayer', keys: data.ingests.map((x) => `ingest:${qualified(x)}`) },
    { id: 'analysisLayer', keys: data.detections.map((x) => `detection:${qualified(x)}`) },
    { id: 'inferenceLayer', keys: data.pools.map((x) => `pool:${qualified(x)}`) },
    { id: 'gpuLayer', keys: data.gpuNodes.map((_, i) => `gpu-nodes:${i}`) },
  ];
  return layers.flatMap(({ id, keys }) => {
    const scraped = keys.filter((key) => prometheus.scrapes.includes(key));
    if (scraped.length > 1 && scraped.length === keys.length) return [{ key: id, id, text: `scrapes all ${scraped.length}` }];
    return scraped.map((key) => ({ key, text: 'scrapes' }));
  });
}

function gpuNodesText(set: DiagramGpuNodes): string[] {
  const nodes = set.nodes === undefined ? 'GPU nodes (count not declared)' : plural(set.nodes, 'GPU node');
  const gpus = set.gpusPerNode === undefined ? [] : [`${plural(set.gpusPerNode, 'GPU')} each${set.slicesPerGpu > 1 ? `, time-sliced ${set.slicesPerGpu} ways` : ''}`];
  const units = set.nodes !== undefined && set.gpusPerNode !== undefined ? [`${set.nodes * set.gpusPerNode * set.slicesPerGpu} × ${GPU_RESOURCE}`] : [];
  return [nodes, ...gpus, ...units];
}

function round(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** A comparator on a string key: code-point order, the same on every machine and locale. */
function by<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}
