import { Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { propError } from '../core/errors';
import { imageTag, requirePinnedImage } from '../core/images';
import { dns1123Label, dns1123Subdomain } from '../core/names';
import { tcpPort } from '../synth/connections';
import { KubePersistentVolumeClaim, KubeService } from '../synth/kube-objects';
import { PodOptions, PodServiceAccount, PriorityTier, newDeployment } from '../synth/pod/builder';
import { ComponentPods, ProbeTiming, httpProbe, servicePort } from '../synth/pod/component-pods';
import { FullResources, checkResources, mergeResources, toResourceRequirements } from '../synth/pod/resources';

/** The Distribution registry, pinned. */
export const REGISTRY_IMAGE = 'registry:2.8.3';
const PORT = 5000;

/** Props of {@link PrivateRegistry}. */
export interface PrivateRegistryProps {
  /** Namespace of the registry (create it with PlatformNamespace). */
  readonly namespace: string;
  /** Secret of type `kubernetes.io/tls` with the registry's certificate (`tls.crt`, `tls.key`), made outside Git. */
  readonly tlsSecretName: string;
  /** Secret with an `htpasswd` key (bcrypt entries) for pull and push credentials, made outside Git. */
  readonly htpasswdSecretName: string;
  /**
   * Size of the image store (a PVC on `storageClassName`).
   * @default Size.gibibytes(100)
   */
  readonly storage?: Size;
  /**
   * StorageClass of the image store.
   * @default 'local-path' - K3s's default
   */
  readonly storageClassName?: string;
  /**
   * How nodes reach the registry: `LoadBalancer` (K3s ServiceLB exposes it on every node) or `NodePort`.
   * @default 'LoadBalancer'
   */
  readonly serviceType?: 'LoadBalancer' | 'NodePort';
  /**
   * The registry image.
   * @default REGISTRY_IMAGE
   */
  readonly image?: string;
  /**
   * CPU and memory of the registry; fields left out keep their default.
   * @default - requests 100m CPU and 128Mi memory, limits 1 CPU and 512Mi memory
   */
  readonly resources?: ContainerResources;
}

const DEFAULT_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(100), limit: Cpu.units(1) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};

/**
 * An in-cluster image registry (Distribution) with htpasswd authentication and TLS from Secrets
 * and a persistent image store. It runs one replica on purpose (the single-point-of-failure
 * policy is told why): its store is a node-local volume, so a second replica would see other
 * images. Pulls survive its loss or drain because K3s's embedded registry mirror (on by default in
 * `K3sCluster`) lets every node pull an image any node holds. For an HA registry use an external
 * one and point RegistrySettings at it.
 */
export class PrivateRegistry extends Construct {
  /** The registry's Service name (`registry`). */
  public readonly serviceName = 'registry';
  /** Namespace. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: PrivateRegistryProps) {
    super(scope, id);
    const problem = dns1123Label(props.namespace);
    if (problem) throw propError('PrivateRegistry', id, 'namespace', props.namespace, `a DNS-1123 label (${problem})`, 'Use the name of an existing namespace.');
    for (const prop of ['tlsSecretName', 'htpasswdSecretName'] as const) {
      if (dns1123Subdomain(props[prop])) throw propError('PrivateRegistry', id, prop, props[prop], 'a Kubernetes object name', 'Name the Secret as kubectl shows it.');
    }
    const storage = props.storage ?? Size.gibibytes(100);
    if (storage.toMebibytes({ rounding: 1 }) < 1024) throw propError('PrivateRegistry', id, 'storage', storage.asString(), 'at least 1Gi', 'Images are large: give the store room.');
    const storageClassName = props.storageClassName ?? 'local-path';
    const classProblem = dns1123Subdomain(storageClassName);
    if (classProblem) throw propError('PrivateRegistry', id, 'storageClassName', storageClassName, `a StorageClass name (${classProblem})`, 'Use a StorageClass of the cluster, such as local-path.');
    const image = props.image ?? REGISTRY_IMAGE;
    requirePinnedImage('PrivateRegistry', id, 'image', image);
    const resources = mergeResources(DEFAULT_RESOURCES, props.resources);
    checkResources('PrivateRegistry', id, 'resources', resources);

    this.namespace = props.namespace;
    const identity = { name: 'registry', instance: this.serviceName, component: 'image-registry', version: imageTag(image) };
    const pods = new ComponentPods({ ownerKind: 'PrivateRegistry', identity, namespace: this.namespace, name: this.serviceName });
    const meta = pods.metadata();
    const selector = pods.selector;

    const serviceAccount = pods.addServiceAccount(this);
    new KubePersistentVolumeClaim(this, 'store', {
      metadata: { ...meta, name: 'registry-store' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: k8s.Quantity.fromString(storage.asString()) } } },
    });
    newDeployment(this, 'deployment', {
      metadata: meta,
      // The K3s embedded registry mirror serves every image a node holds, so losing this pod fails no pull.
      singleReplicaReason: 'its store is a node-local volume a second replica could not share; while it is away, nodes pull from each other through the K3s embedded registry mirror',
      spec: {
        replicas: 1,
        revisionHistoryLimit: 3,
        // One writer of the store at a time.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { ...selector } },
        template: { labels: pods.labels, spec: podSpec(serviceAccount, image, resources, props) },
      },
    });
    new KubeService(this, 'service', {
      metadata: meta,
      spec: { type: props.serviceType ?? 'LoadBalancer', selector: { ...selector }, ports: [servicePort('https', PORT)] },
    });
    pods.addDisruptionBudget(this);
    // Nodes pull through the load balancer from their own addresses: the port is open to all, the credentials guard it.
    pods.connections.addIngress({ ports: [tcpPort(PORT)] });
    pods.addNetworkPolicy(this);
  }
}

function podSpec(serviceAccount: PodServiceAccount, image: string, resources: FullResources, props: PrivateRegistryProps): PodOptions {
  const probe = (timing: Omit<ProbeTiming, 'timeoutSeconds'>): k8s.Probe => httpProbe('/', 'https', { timeoutSeconds: 3, ...timing }, 'HTTPS');
  return {
    serviceAccount,
    // Without the registry no node pulls an image it does not hold: it outranks every application pod.
    tier: PriorityTier.PLATFORM,
    containers: [{
      name: 'registry',
      image,
      env: [
        { name: 'REGISTRY_HTTP_ADDR', value: `:${PORT}` },
        { name: 'REGISTRY_HTTP_TLS_CERTIFICATE', value: '/certs/tls.crt' },
        { name: 'REGISTRY_HTTP_TLS_KEY', value: '/certs/tls.key' },
        { name: 'REGISTRY_AUTH', value: 'htpasswd' },
        { name: 'REGISTRY_AUTH_HTPASSWD_REALM', value: 'video-analytics' },
        { name: 'REGISTRY_AUTH_HTPASSWD_PATH', value: '/auth/htpasswd' },
        { name: 'REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY', value: '/var/lib/registry' },
        { name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'true' },
      ],
      ports: [{ name: 'https', containerPort: PORT, protocol: 'TCP' }],
      readinessProbe: probe({ periodSeconds: 10 }),
      livenessProbe: probe({ periodSeconds: 20, failureThreshold: 3 }),
      resources: toResourceRequirements(resources),
      volumeMounts: [
        { name: 'store', mountPath: '/var/lib/registry' },
        { name: 'tls', mountPath: '/certs', readOnly: true },
        { name: 'auth', mountPath: '/auth', readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    }],
    volumes: [
      { name: 'store', persistentVolumeClaim: { claimName: 'registry-store' } },
      { name: 'tls', secret: { secretName: props.tlsSecretName } },
      { name: 'auth', secret: { secretName: props.htpasswdSecretName, items: [{ key: 'htpasswd', path: 'htpasswd' }] } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
    ],
  };
}
