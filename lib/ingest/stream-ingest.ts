import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { CameraSpec, StreamTransport, validateCameras } from '../cameras/camera-inventory';
import { IStreamSource, StreamSource } from '../cameras/stream-source';
import { propError, requireComponentName, requireDnsLabel, requireInteger } from '../core/errors';
import { imageTag, requirePinnedImage } from '../core/images';
import { hostCidrs, isAddressOrCidr } from '../core/network';
import { IRuleSource, RuleGroup } from '../monitoring/alert-rules';
import { IScrapeTarget, ScrapeTarget } from '../monitoring/scrape-target';
import { ConfigMapObject } from '../synth/config-map';
import { toConfigYaml } from '../synth/config-yaml';
import { Connections, IConnectable, addressPeers } from '../synth/connections';
import { ComponentPods, httpProbe, servicePort, surgeBeforeStopping } from '../synth/pod/component-pods';
import { KubeService } from '../synth/kube-objects';
import { ContainerOptions, PodOptions, PodServiceAccount, PriorityTier, newDeployment, singleReplicaChosenBy } from '../synth/pod/builder';
import { FullResources, checkResources, goRuntimeEnv, mergeResources, toResourceRequirements } from '../synth/pod/resources';
import { ScopedPodProps, resolveScopedPodProps } from '../synth/pod/scope-settings';
import { ingestRuleGroups } from './rules';
import { assignShards } from './shard-assignment';
import { spreadOf } from '../core/spread';

/** MediaMTX, pinned: a new release is a reviewed change of this line, never a surprise. */
export const MEDIAMTX_IMAGE = 'bluenviron/mediamtx:1.19.3';
/** Renders camera credentials into the MediaMTX configuration at pod start (busybox awk). */
export const CREDENTIALS_RENDERER_IMAGE = 'busybox:1.36.1';
/** The shard a pod serves, as a label: part of the shard's selector. */
export const SHARD_LABEL = 'video-analytics.io/shard';

const RTSP_PORT = 8554;
const API_PORT = 9997;
const METRICS_PORT = 9998;
const DEFAULT_RTSP_PORT = 554;
const DEFAULT_RTSPS_PORT = 322;
const CONTAINER = 'mediamtx';
/** K3s's default `cluster-cidr`: kubelet probes come from the node's address in it. */
const K3S_POD_CIDR = '10.42.0.0/16';

/** Props of {@link StreamIngest}. */
export interface StreamIngestProps extends ScopedPodProps {
  /** Namespace of every object the ingest creates. */
  readonly namespace: string;
  /**
   * The cameras to pull. Load them with `CameraInventory.fromFile(path).cameras` or list them in code.
   */
  readonly cameras: readonly CameraSpec[];
  /**
   * Name prefix of every object: `<name>-shard-<n>`. A DNS-1035 label of at most 50 characters.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The most cameras one shard (one MediaMTX deployment) pulls. A hard cap: no shard exceeds it.
   * @default 16
   */
  readonly camerasPerShard?: number;
  /**
   * Number of shards. Pin it to keep every camera where it is when cameras come and go (as long as
   * no shard is full); raising it by one moves about 1/N of the cameras to the new shard.
   * @default - enough shards to fill each to half of `camerasPerShard` on average, so the count follows the camera list
   */
  readonly shards?: number;
  /**
   * MediaMTX pods per shard, on different nodes. Each replica opens its own session to every camera
   * of its shard, so check how many sessions your cameras accept before raising it.
   * @default 2
   */
  readonly replicasPerShard?: number;
  /**
   * The MediaMTX image.
   * @default MEDIAMTX_IMAGE
   */
  readonly image?: string;
  /**
   * The image that renders camera credentials into the configuration; it needs `sh` and `awk`.
   * @default CREDENTIALS_RENDERER_IMAGE
   */
  readonly credentialsRendererImage?: string;
  /**
   * CPU and memory of each MediaMTX container; fields left out keep their default.
   * @default - requests 100m CPU and 128Mi memory, limits 1 CPU and 512Mi memory
   */
  readonly resources?: ContainerResources;
  /**
   * Addresses allowed to use the MediaMTX control API (readiness probes use it). Loopback is always allowed.
   * @default ['10.42.0.0/16'] - the K3s pod network, where kubelet probes come from
   */
  readonly apiAllowedNetworks?: readonly string[];
}

/** One shard: a MediaMTX deployment and the cameras it pulls. */
export interface IngestShard {
  /** Position of the shard, from 0. */
  readonly index: number;
  /** Name of the shard's Deployment, Service, ConfigMap and PodDisruptionBudget. */
  readonly name: string;
  /** In-cluster DNS name that resolves to the shard's pods. */
  readonly host: string;
  /** Ids of the cameras the shard pulls, sorted. */
  readonly cameraIds: readonly string[];
}

const DEFAULT_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(100), limit: Cpu.units(1) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};
const RENDERER_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(10), limit: Cpu.millis(100) },
  memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) },
};

/**
 * Replaces every `${NAME}` with the percent-encoded value of the environment variable NAME, so
 * that credentials from a Secret land only in the pod's memory, never in a ConfigMap or `dist/`,
 * and a password with `@`, `:` or `/` still makes a valid URL. Fails if a variable is missing.
 */
const RENDER_AWK = `function encode(s,   out, i, c) {
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c ~ /[A-Za-z0-9._~-]/) out = out c
    else out = out sprintf("%%%02X", code[c])
  }
  return out
}
BEGIN { for (i = 1; i < 256; i++) code[sprintf("%c", i)] = i }
{
  line = $0
  out = ""
  while (match(line, /[$][{][A-Z0-9_]+[}]/)) {
    name = substr(line, RSTART + 2, RLENGTH - 3)
    if (!(name in ENVIRON)) { print "credential variable " name " is not set" > "/dev/stderr"; exit 1 }
    out = out substr(line, 1, RSTART - 1) encode(ENVIRON[name])
    line = substr(line, RSTART + RLENGTH)
  }
  print out line
}
`;

/**
 * Pulls camera streams into the cluster through sharded MediaMTX: each shard is a Deployment
 * that pulls its cameras over RTSP/TCP and serves them to in-cluster readers, behind a headless
 * Service that gives the shard a stable DNS name. Cameras are assigned to shards by
 * consistent hashing with bounded loads, so adding or removing a camera does not move the others.
 */
export class StreamIngest extends Construct implements IScrapeTarget, IStreamSource, IRuleSource, IConnectable {
  /** Prefix of every object name. */
  public readonly name: string;
  /** Namespace of every object. */
  public readonly namespace: string;
  /** The shard assignment, by shard index. */
  public readonly shards: readonly IngestShard[];
  /** The network links of every shard's pods: readers, monitoring, the cameras. */
  public readonly connections: Connections;

  private readonly pods: ComponentPods;
  private readonly shardByCamera = new Map<string, IngestShard>();
  private readonly cameras: ReadonlyMap<string, CameraSpec>;
  private streamSource?: StreamSource;

  constructor(scope: Construct, id: string, props: StreamIngestProps) {
    super(scope, id);
    const settings = resolveSettings(this, id, props);
    this.name = settings.name;
    this.namespace = props.namespace;
    this.cameras = new Map(props.cameras.map((camera) => [camera.id, camera]));
    const identity = { name: 'mediamtx', instance: this.name, component: 'stream-ingest', version: imageTag(settings.image) };
    this.pods = new ComponentPods({ ownerKind: 'StreamIngest', identity, namespace: this.namespace, name: this.name });
    this.connections = this.pods.connections;
    this.connections.allowToPeers(...cameraEgress(props.cameras));
    const serviceAccount = this.pods.addServiceAccount(this);

    const assignment = assignShards(props.cameras.map((c) => c.id), settings.shardCount, settings.camerasPerShard);
    this.shards = assignment.map((cameraIds, index) => {
      const name = `${this.name}-shard-${index}`;
      return { index, name, host: `${name}.${this.namespace}.svc.${settings.clusterDomain}`, cameraIds };
    });
    for (const shard of this.shards) {
      shard.cameraIds.forEach((cameraId) => this.shardByCamera.set(cameraId, shard));
      this.addShard(shard, settings, serviceAccount);
    }
    this.pods.addNetworkPolicy(this);
  }

  /** Lets `reader`'s pods pull streams over RTSP, from any namespace. */
  public allowReader(reader: IConnectable): void {
    // By a label on the readers: one peer per reader namespace, however many detections read.
    this.connections.allowFrom(reader.connections, [RTSP_PORT], { byClientLabel: true });
  }

  /**
   * The in-cluster RTSP URL of a camera, as an analysis service reads it.
   * @param cameraId id of a camera of this ingest
   */
  public streamUrl(cameraId: string): string {
    const shard = this.shardByCamera.get(cameraId);
    if (!shard) {
      throw propError('StreamIngest', this.node.id, 'cameraId', cameraId, 'the id of a camera of this ingest', `Use one of: ${[...this.cameras.keys()].slice(0, 5).join(', ')}${this.cameras.size > 5 ? ', ...' : ''}.`);
    }
    return `rtsp://${shard.host}:${RTSP_PORT}/${cameraId}`;
  }

  /** The cameras of this ingest, in the order given. */
  public get cameraSpecs(): readonly CameraSpec[] {
    return [...this.cameras.values()];
  }

  /** The streams this ingest serves, for analysis services. */
  public toStreamSource(): StreamSource {
    // Built once: every analysis service asks for it, and with thousands of cameras and services
    // rebuilding the sorted camera list each time dominated construction. Cameras never change.
    this.streamSource ??= {
      name: this.name,
      namespace: this.namespace,
      cameras: [...this.cameras.values()].sort((a, b) => a.id.localeCompare(b.id)).map((spec) => ({ spec, streamUrl: this.streamUrl(spec.id) })),
      port: RTSP_PORT,
    };
    return this.streamSource;
  }

  /** A camera stream down, damaged frames, a shard not ready: the alerts a person must see. */
  public toRuleGroups(): RuleGroup[] {
    return ingestRuleGroups(this.toScrapeTarget(), { cameras: this.cameraSpecs });
  }

  /** MediaMTX metrics on port 9998 of every shard pod. */
  public toScrapeTarget(): ScrapeTarget {
    return {
      jobName: this.name,
      namespace: this.namespace,
      podSelector: this.pods.selector,
      portName: 'metrics',
      port: METRICS_PORT,
      path: '/metrics',
      interval: Duration.seconds(30),
    };
  }

  private addShard(shard: IngestShard, settings: Settings, serviceAccount: PodServiceAccount): void {
    const cameras = shard.cameraIds.map((id) => this.cameras.get(id)!);
    const withCredentials = cameras.filter((c) => c.credentials);
    const data: Record<string, string> = { 'mediamtx.yml': mediamtxConfig(cameras, settings) };
    if (withCredentials.length > 0) data['render.awk'] = RENDER_AWK;
    const labels = spreadOf(this.pods.labels, { [SHARD_LABEL]: String(shard.index) });
    const selector = spreadOf(this.pods.selector, { [SHARD_LABEL]: String(shard.index) });

    // One budget per shard: a drain takes down at most one pod of each shard, and drains of
    // different shards' pods proceed in parallel instead of one ingest pod at a time.
    this.pods.addDisruptionBudget(this, `${shard.name}-disruption-budget`, { name: shard.name, selector, labels: { [SHARD_LABEL]: String(shard.index) } });
    new ConfigMapObject(this, `${shard.name}-config`, {
      metadata: { name: shard.name, namespace: this.namespace, labels },
      data,
    });
    new KubeService(this, `${shard.name}-service`, {
      metadata: { name: shard.name, namespace: this.namespace, labels },
      spec: {
        clusterIp: 'None',
        selector,
        ports: [servicePort('rtsp', RTSP_PORT), servicePort('metrics', METRICS_PORT)],
      },
    });
    newDeployment(this, `${shard.name}-deployment`, {
      metadata: { name: shard.name, namespace: this.namespace, labels },
      singleReplicaReason: singleReplicaChosenBy('replicasPerShard', settings.replicasPerShard),
      spec: {
        replicas: settings.replicasPerShard,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        // A new pod pulls its cameras before the old one stops: readers never lose the shard.
        strategy: surgeBeforeStopping(),
        template: {
          labels,
          connections: this.connections,
          // A changed camera list rolls that shard only.
          config: data,
          spec: this.podSpec(shard, selector, withCredentials, settings, serviceAccount),
        },
      },
    });
  }

  private podSpec(shard: IngestShard, selector: Record<string, string>, withCredentials: CameraSpec[], settings: Settings, serviceAccount: PodServiceAccount): PodOptions {
    const configVolume = withCredentials.length > 0 ? 'rendered-config' : 'config';
    return {
      serviceAccount,
      tier: PriorityTier.INGEST,
      priorityClassName: settings.priorityClassName,
      terminationGracePeriodSeconds: 30,
      topologySpreadConstraints: this.shardSpread(selector),
      initContainers: withCredentials.length > 0 ? [this.rendererContainer(withCredentials, settings)] : undefined,
      containers: [{
        name: CONTAINER,
        image: settings.image,
        args: ['/config/mediamtx.yml'],
        env: goRuntimeEnv(CONTAINER),
        ports: [
          { name: 'rtsp', containerPort: RTSP_PORT, protocol: 'TCP' },
          { name: 'api', containerPort: API_PORT, protocol: 'TCP' },
          { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
        ],
        // Ready when MediaMTX serves its API, which it does once the configuration is loaded.
        readinessProbe: httpProbe('/v3/paths/list', 'api', { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
        livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('rtsp') }, initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
        resources: toResourceRequirements(settings.resources),
        volumeMounts: [{ name: configVolume, mountPath: '/config', readOnly: true }],
      }],
      volumes: [
        { name: 'config', configMap: { name: shard.name } },
        ...(withCredentials.length > 0 ? [{ name: 'rendered-config', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } }] : []),
      ],
    };
  }

  private rendererContainer(cameras: CameraSpec[], settings: Settings): ContainerOptions {
    return {
      name: 'render-credentials',
      image: settings.credentialsRendererImage,
      command: ['sh', '-c', 'awk -f /template/render.awk /template/mediamtx.yml > /config/mediamtx.yml'],
      env: cameras.flatMap((camera) => credentialEnv(camera)),
      resources: toResourceRequirements(RENDERER_RESOURCES),
      volumeMounts: [
        { name: 'config', mountPath: '/template', readOnly: true },
        { name: 'rendered-config', mountPath: '/config' },
      ],
    };
  }

  /** Replicas of one shard never share a node, so losing a node never loses a shard; shards spread too, softly. */
  private shardSpread(shardSelector: { readonly [key: string]: string }): k8s.TopologySpreadConstraint[] {
    const [byNode, byZone] = this.pods.spreadOverNodes({ selector: shardSelector });
    return [byNode, ...this.pods.spreadOverNodes({ soft: true, zones: false }), byZone];
  }
}

interface Settings {
  readonly name: string;
  readonly camerasPerShard: number;
  readonly shardCount: number;
  readonly replicasPerShard: number;
  readonly image: string;
  readonly credentialsRendererImage: string;
  readonly resources: FullResources;
  readonly apiAllowedNetworks: readonly string[];
  readonly clusterDomain: string;
  readonly priorityClassName?: string;
}

/** Longest name that still leaves room for `-shard-999` within a 63-character DNS label. */
const MAX_NAME_LENGTH = 50;
/**
 * Default shards average this share of `camerasPerShard`: hashing spreads cameras unevenly, and the
 * headroom keeps every shard below the cap, where adding or removing a camera moves no other camera.
 */
const TARGET_FILL = 0.5;

function resolveSettings(scope: Construct, id: string, props: StreamIngestProps): Settings {
  const name = requireComponentName('StreamIngest', id, props.name, MAX_NAME_LENGTH, 'ingest');
  requireDnsLabel('StreamIngest', id, 'namespace', props.namespace);
  if (props.cameras.length === 0) throw propError('StreamIngest', id, 'cameras', '[]', 'a list of at least one camera', 'Add cameras, for example from CameraInventory.fromFile().');
  validateCameras(props.cameras, `StreamIngest '${id}'`);

  const camerasPerShard = props.camerasPerShard ?? 16;
  requireInteger('StreamIngest', id, 'camerasPerShard', camerasPerShard, 1);
  const shardCount = props.shards ?? Math.max(1, Math.ceil(props.cameras.length / Math.max(1, Math.floor(camerasPerShard * TARGET_FILL))));
  requireInteger('StreamIngest', id, 'shards', shardCount, 1);
  if (shardCount * camerasPerShard < props.cameras.length) {
    throw propError('StreamIngest', id, 'shards', shardCount, `at least ${Math.ceil(props.cameras.length / camerasPerShard)} to hold ${props.cameras.length} cameras at ${camerasPerShard} per shard`, "Raise 'shards' or 'camerasPerShard'.");
  }
  const replicasPerShard = props.replicasPerShard ?? 2;
  requireInteger('StreamIngest', id, 'replicasPerShard', replicasPerShard, 1);

  requirePinnedImage('StreamIngest', id, 'image', props.image ?? MEDIAMTX_IMAGE);
  requirePinnedImage('StreamIngest', id, 'credentialsRendererImage', props.credentialsRendererImage ?? CREDENTIALS_RENDERER_IMAGE);
  const resources = mergeResources(DEFAULT_RESOURCES, props.resources);
  checkResources('StreamIngest', id, 'resources', resources);
  for (const network of props.apiAllowedNetworks ?? []) {
    if (!isAddressOrCidr(network)) {
      throw propError('StreamIngest', id, 'apiAllowedNetworks', network, 'an IP address or CIDR', "Write it like '10.42.0.0/16'.");
    }
  }
  return {
    name,
    camerasPerShard,
    shardCount,
    replicasPerShard,
    image: props.image ?? MEDIAMTX_IMAGE,
    credentialsRendererImage: props.credentialsRendererImage ?? CREDENTIALS_RENDERER_IMAGE,
    resources,
    apiAllowedNetworks: props.apiAllowedNetworks ?? [K3S_POD_CIDR],
    ...resolveScopedPodProps(scope, 'StreamIngest', props),
  };
}



/** `CAMERA_<ID>_USERNAME`: ids are DNS labels, so the mapping from id to variable is one to one. */
function credentialVariable(camera: CameraSpec, part: 'USERNAME' | 'PASSWORD'): string {
  return `CAMERA_${camera.id.toUpperCase().replace(/-/g, '_')}_${part}`;
}

function credentialEnv(camera: CameraSpec): k8s.EnvVar[] {
  const credentials = camera.credentials!;
  return [
    { name: credentialVariable(camera, 'USERNAME'), valueFrom: { secretKeyRef: { name: credentials.secretName, key: credentials.usernameKey ?? 'username' } } },
    { name: credentialVariable(camera, 'PASSWORD'), valueFrom: { secretKeyRef: { name: credentials.secretName, key: credentials.passwordKey ?? 'password' } } },
  ];
}

/** The pull URL as MediaMTX gets it: with `${...}` placeholders where credentials go. */
function sourceUrl(camera: CameraSpec): string {
  const url = new URL(camera.url);
  const userinfo = camera.credentials ? `\${${credentialVariable(camera, 'USERNAME')}}:\${${credentialVariable(camera, 'PASSWORD')}}@` : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${url.search}`;
}

function mediamtxConfig(cameras: readonly CameraSpec[], settings: Settings): string {
  const config = {
    logLevel: 'info',
    logDestinations: ['stdout'],
    authMethod: 'internal',
    authInternalUsers: [
      // Readers need no credentials: the NetworkPolicy decides who may connect. Nobody may publish.
      { user: 'any', pass: '', ips: [], permissions: [{ action: 'read', path: '' }, { action: 'metrics' }] },
      { user: 'any', pass: '', ips: ['127.0.0.1', '::1', ...settings.apiAllowedNetworks], permissions: [{ action: 'api' }] },
    ],
    api: true,
    apiAddress: `:${API_PORT}`,
    metrics: true,
    metricsAddress: `:${METRICS_PORT}`,
    rtsp: true,
    // Inside Kubernetes RTP over UDP breaks behind Services and NAT: serve over TCP only.
    rtspTransports: ['tcp'],
    rtspAddress: `:${RTSP_PORT}`,
    rtmp: false,
    hls: false,
    webrtc: false,
    srt: false,
    playback: false,
    pathDefaults: { sourceOnDemand: false, rtspTransport: 'tcp' },
    paths: Object.fromEntries([...cameras].sort((a, b) => a.id.localeCompare(b.id)).map((camera) => [camera.id, {
      source: sourceUrl(camera),
      rtspTransport: camera.transport ?? StreamTransport.TCP,
    }])),
  };
  return toConfigYaml(config);
}



/**
 * To the cameras' RTSP ports, at exactly the cameras' addresses ({@link hostCidrs}): cameras
 * numbered in runs take a few IPv4 blocks however many there are; a camera given by name opens
 * the ports to any address.
 */
function cameraEgress(cameras: readonly CameraSpec[]): [k8s.NetworkPolicyPeer[], number[]] {
  const urls = cameras.map((camera) => new URL(camera.url));
  const ports = [...new Set(urls.map((url) => Number(url.port || (url.protocol === 'rtsps:' ? DEFAULT_RTSPS_PORT : DEFAULT_RTSP_PORT))))].sort((a, b) => a - b);
  return [addressPeers(hostCidrs(urls.map((url) => url.hostname))), ports];
}
