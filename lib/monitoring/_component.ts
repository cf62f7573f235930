import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { MonitoringSettings } from './_settings';
import { KubeClusterRole, KubeClusterRoleBinding, KubeService } from '../synth/kube-objects';
import { PodServiceAccount } from '../synth/pod/builder';
import { ComponentPods, ProbeTiming, httpProbe } from '../synth/pod/component-pods';

/**
 * The pods of one of the bundle's components. The bundle's namespace is the instance, even for
 * node-exporter in the host namespace: it makes every label unique per bundle.
 * @param namespace where the pods run
 */
export function monitoringPods(settings: MonitoringSettings, name: string, image: string, namespace: string = settings.namespace): ComponentPods {
  const identity = { name, instance: settings.namespace, component: 'monitoring', version: image.split(':').pop() };
  return new ComponentPods({ ownerKind: 'MonitoringBundle', identity, namespace });
}

/** A port of a Service, named and numbered as the container declares it. */
export interface NamedPort {
  /** Name of the container port, which the Service port takes too. */
  readonly name: string;
  /** Number of the container port, which the Service port takes too. */
  readonly port: number;
  /**
   * Protocol of the port.
   * @default 'TCP'
   */
  readonly protocol?: 'TCP' | 'UDP';
}

/** Options of {@link addService}. */
export interface ServiceOptions {
  /**
   * Name of the Service.
   * @default - the component's name
   */
  readonly name?: string;
  /**
   * What the Service is besides its selector and ports, such as headless.
   * @default - a ClusterIP Service
   */
  readonly spec?: Omit<k8s.ServiceSpec, 'selector' | 'ports'>;
  /**
   * Annotations of the Service, read by what routes to it (an ingress controller).
   * @default - none
   */
  readonly annotations?: { readonly [key: string]: string };
}

/** A Service of the component's pods, each port targeting the container port of its name. */
export function addService(scope: Construct, id: string, pods: ComponentPods, ports: readonly NamedPort[], options: ServiceOptions = {}): k8s.KubeService {
  return new KubeService(scope, id, {
    metadata: { ...pods.metadata(options.name), ...(options.annotations ? { annotations: { ...options.annotations } } : {}) },
    spec: {
      ...options.spec,
      selector: { ...pods.selector },
      ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.name), protocol: p.protocol ?? 'TCP' })),
    },
  });
}

/**
 * The component's ServiceAccount, bound to a ClusterRole of `rules` and nothing else. Cluster
 * objects are named after the namespace too: two bundles in one cluster keep their own.
 * @param readsApiBecause why the pods call the Kubernetes API, which mounts the token
 */
export function addClusterReader(scope: Construct, pods: ComponentPods, readsApiBecause: string, rules: k8s.PolicyRule[]): PodServiceAccount {
  const name = `${pods.namespace}-${pods.name}`;
  const serviceAccount = pods.addServiceAccount(scope, 'service-account', readsApiBecause);
  new KubeClusterRole(scope, 'cluster-role', { metadata: { name, labels: { ...pods.labels } }, rules });
  new KubeClusterRoleBinding(scope, 'cluster-role-binding', {
    metadata: { name, labels: { ...pods.labels } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: pods.namespace }],
  });
  return serviceAccount;
}

/** Out of the Service after 30 seconds of failures. */
export const READINESS: ProbeTiming = { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };

/**
 * The probes of a component that answers HTTP at once: readiness every 10 seconds, liveness every
 * 20 once `livenessDelaySeconds` have passed; three failures each.
 */
export function healthProbes(port: string, paths: { readonly ready: string; readonly live: string }, livenessDelaySeconds: number):
{ readinessProbe: k8s.Probe; livenessProbe: k8s.Probe } {
  return {
    readinessProbe: httpProbe(paths.ready, port, READINESS),
    livenessProbe: httpProbe(paths.live, port, { initialDelaySeconds: livenessDelaySeconds, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 }),
  };
}
