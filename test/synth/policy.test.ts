import { ApiObject, App, Chart } from 'cdk8s';
import { Policy, PlatformPolicies } from '../../lib';
import { SINGLE_REPLICA_REASON_ANNOTATION } from '../../lib/synth/pod/builder';
import { formatFinding } from '../../lib/synth/policy/policy-finding';
import { testApp } from '../_helpers';

type Obj = { [key: string]: any };
const NS = 'video-analytics';

function deployment(): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          // Spread hard over nodes: a well-formed workload survives the loss of any one node.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
          containers: [{
            name: 'web', image: 'example/web:1.0.0', ports: [{ name: 'http', containerPort: 8080 }],
            resources: { requests: { 'cpu': '100m', 'memory': '64Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '1', 'memory': '128Mi', 'ephemeral-storage': '512Mi' } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
}

function baseObjects(): Record<string, Obj> {
  return {
    deployment: deployment(),
    service: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    pdb: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } },
    netpol: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web', namespace: NS }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } },
  };
}

function platform(mutate: (objects: Record<string, Obj>) => void = () => undefined): App {
  const app = testApp();
  const chart = new Chart(app, 'chart');
  const objects = baseObjects();
  mutate(objects);
  for (const [id, object] of Object.entries(objects)) new ApiObject(chart, id, object as any);
  return app;
}

function findings(mutate: (objects: Record<string, Obj>) => void, options = {}) {
  return PlatformPolicies.check(platform(mutate), options);
}

describe('PlatformPolicies', () => {
  test('a well-formed workload has no findings', () => {
    expect(PlatformPolicies.check(platform()).map(formatFinding)).toEqual([]);
  });

  test.each<[string, Policy, (o: Record<string, Obj>) => void, RegExp]>([
    ['a Service selecting no pods', Policy.SERVICE_SELECTS_PODS, (o) => { o.service.spec.selector = { app: 'webb' }; }, /selects no pod template/],
    ['a Service target port the pods lack', Policy.SERVICE_SELECTS_PODS, (o) => { o.service.spec.ports[0].targetPort = 'metrics'; }, /target port "metrics" of port 'http' is not a container port/],
    ['a budget selecting nothing', Policy.DISRUPTION_BUDGET, (o) => { o.pdb.spec.selector.matchLabels = { app: 'other' }; }, /selects no workload/],
    ['a budget that blocks drains', Policy.DISRUPTION_BUDGET, (o) => { delete o.pdb.spec.maxUnavailable; o.pdb.spec.minAvailable = 2; }, /allows 0 voluntary disruptions of Deployment web at its minimum of 2 replicas/],
    ['a percentage budget that blocks drains at the autoscaler minimum', Policy.DISRUPTION_BUDGET, (o) => {
      delete o.deployment.spec.replicas; delete o.pdb.spec.maxUnavailable; o.pdb.spec.minAvailable = '100%';
      o.hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: NS }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 3, maxReplicas: 6 } };
    }, /at its minimum of 3 replicas/],
    ['an autoscaler on a workload with fixed replicas', Policy.AUTOSCALER_TARGET, (o) => {
      o.hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: NS }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 6 } };
    }, /sets replicas \(2\): Argo CD and the autoscaler would fight/],
    ['an autoscaler on a missing workload', Policy.AUTOSCALER_TARGET, (o) => {
      o.hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'ghost', namespace: NS }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ghost' }, maxReplicas: 6 } };
    }, /targets Deployment ghost, which does not exist/],
    ['two autoscalers on one workload', Policy.AUTOSCALER_TARGET, (o) => {
      delete o.deployment.spec.replicas;
      o.hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: NS }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 6 } };
      o.keda = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'web', namespace: NS }, spec: { scaleTargetRef: { name: 'web' }, minReplicaCount: 2, triggers: [{ type: 'cpu', metadata: { value: '70' } }] } };
    }, /has 2 autoscalers \(HorizontalPodAutoscaler web, ScaledObject web\)/],
    ['a privileged container', Policy.POD_SECURITY_RESTRICTED, (o) => { o.deployment.spec.template.spec.containers[0].securityContext.privileged = true; }, /container 'web' is privileged/],
    ['a pod that may run as root', Policy.POD_SECURITY_RESTRICTED, (o) => { delete o.deployment.spec.template.spec.securityContext.runAsNonRoot; }, /does not run as non-root/],
    ['a hostPath volume', Policy.POD_SECURITY_RESTRICTED, (o) => { o.deployment.spec.template.spec.volumes = [{ name: 'dev', hostPath: { path: '/dev' } }]; }, /volume 'dev' is of type hostPath/],
    ['no seccomp profile', Policy.POD_SECURITY_RESTRICTED, (o) => { delete o.deployment.spec.template.spec.securityContext.seccompProfile; }, /no RuntimeDefault or Localhost seccomp profile/],
    ['capabilities kept', Policy.POD_SECURITY_RESTRICTED, (o) => { o.deployment.spec.template.spec.containers[0].securityContext.capabilities = { add: ['NET_ADMIN'] }; }, /does not drop ALL capabilities/],
    ['a container without limits', Policy.RESOURCES, (o) => { delete o.deployment.spec.template.spec.containers[0].resources.limits; }, /container 'web' has no limits.cpu, limits.memory/],
    ['a container without ephemeral storage', Policy.EPHEMERAL_STORAGE, (o) => {
      const resources = o.deployment.spec.template.spec.containers[0].resources;
      delete resources.requests['ephemeral-storage']; delete resources.limits['ephemeral-storage'];
    }, /^container 'web' has no requests.ephemeral-storage, limits.ephemeral-storage$/],
    ['an init container without an ephemeral-storage limit', Policy.EPHEMERAL_STORAGE, (o) => {
      o.deployment.spec.template.spec.initContainers = [{ name: 'init', image: 'example/init:1.0.0', resources: { requests: { 'ephemeral-storage': '64Mi' }, limits: {} } }];
    }, /^container 'init' has no limits.ephemeral-storage$/],
    ['an emptyDir without a size', Policy.EPHEMERAL_STORAGE, (o) => { o.deployment.spec.template.spec.volumes = [{ name: 'scratch', emptyDir: {} }]; }, /^emptyDir 'scratch' has no sizeLimit$/],
    ['emptyDirs larger than the pod\'s ephemeral-storage limits', Policy.EPHEMERAL_STORAGE, (o) => {
      o.deployment.spec.template.spec.volumes = [
        { name: 'cache', emptyDir: { sizeLimit: '1Gi' } }, { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '4Gi' } }, { name: 'unmounted', emptyDir: { sizeLimit: '8Gi' } },
      ];
      o.deployment.spec.template.spec.containers[0].volumeMounts = [{ name: 'cache', mountPath: '/cache' }, { name: 'shm', mountPath: '/dev/shm' }];
    }, /^its disk-backed emptyDirs may hold 1Gi but its ephemeral-storage limits allow the pod 512Mi, so the kubelet evicts it before they are full$/],
    ['a workload no NetworkPolicy is written for', Policy.NETWORK_POLICY_COVERAGE, (o) => { o.netpol.spec.podSelector = {}; }, /no NetworkPolicy selects its pods specifically/],
    ['a latest image', Policy.PINNED_IMAGES, (o) => { o.deployment.spec.template.spec.containers[0].image = 'example/web:latest'; }, /uses image 'example\/web:latest', which is untagged or latest/],
    ['an untagged image', Policy.PINNED_IMAGES, (o) => { o.deployment.spec.template.spec.containers[0].image = 'registry.local:5000/web'; }, /untagged or latest/],
    ['a GPU pod without the runtime class', Policy.GPU_SCHEDULING, (o) => {
      o.deployment.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'] = '1';
      o.deployment.spec.template.spec.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
    }, /without runtimeClassName 'nvidia'/],
    ['a GPU pod without the toleration', Policy.GPU_SCHEDULING, (o) => {
      o.deployment.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'] = '1';
      o.deployment.spec.template.spec.runtimeClassName = 'nvidia';
    }, /without tolerating the nvidia.com\/gpu taint/],
  ])('finds %s', (_title, policy, mutate, message) => {
    const found = findings(mutate);
    const match = found.find((f) => f.policy === policy);
    expect({ found: match !== undefined, all: found.map(formatFinding) }).toEqual(expect.objectContaining({ found: true }));
    expect(match!.message).toMatch(message);
    expect(match!.constructPath).toMatch(/^chart\//);
    expect(match!.fix.length).toBeGreaterThan(10);
  });

  test('GPU demand above the declared capacity, with demand per workload', () => {
    const gpu = (o: Record<string, Obj>) => {
      o.deployment.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'] = '2';
      o.deployment.spec.template.spec.runtimeClassName = 'nvidia';
      o.deployment.spec.template.spec.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
    };
    expect(findings(gpu, { gpuCapacity: 4 })).toEqual([]);
    const [finding] = findings(gpu, { gpuCapacity: 3 });
    expect(finding.message).toBe('GPU demand at maximum scale is 4 (web: 4), more than the 3 the inventory declares');
  });

  test('counts the pod\'s ephemeral-storage limit as the kubelet does: its containers\' sum, or its largest init container\'s', () => {
    const pod = (o: Record<string, Obj>, init: string) => {
      const spec = o.deployment.spec.template.spec;
      spec.volumes = [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }];
      spec.containers[0].volumeMounts = [{ name: 'cache', mountPath: '/cache' }];
      spec.containers.push({ ...structuredClone(spec.containers[0]), name: 'side', ports: [] });
      spec.initContainers = [{ name: 'init', image: 'example/init:1.0.0', resources: { requests: { 'ephemeral-storage': '64Mi' }, limits: { 'ephemeral-storage': init } } }];
    };
    const ephemeral = (init: string) => findings((o) => pod(o, init)).filter((f) => f.policy === Policy.EPHEMERAL_STORAGE).map((f) => f.message);
    // Two containers of 512Mi each: the pod may use 1Gi.
    expect(ephemeral('64Mi')).toEqual([]);
    expect(ephemeral('2Gi')).toEqual([]);
    const small = (o: Record<string, Obj>) => { pod(o, '64Mi'); o.deployment.spec.template.spec.containers[1].resources.limits['ephemeral-storage'] = '511Mi'; };
    expect(findings(small).filter((f) => f.policy === Policy.EPHEMERAL_STORAGE).map((f) => f.message)).toEqual(['its disk-backed emptyDirs may hold 1Gi but its ephemeral-storage limits allow the pod 1023Mi, so the kubelet evicts it before they are full']);
  });

  test('pods in a privileged namespace are exempt from the restricted profile', () => {
    const privileged = (o: Record<string, Obj>) => {
      o.ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } };
      o.deployment.spec.template.spec.hostNetwork = true;
    };
    expect(findings(privileged).filter((f) => f.policy === Policy.POD_SECURITY_RESTRICTED)).toEqual([]);
  });

  test('enforce() makes synthesis fail with every finding', () => {
    const app = platform((o) => { o.deployment.spec.template.spec.containers[0].image = 'example/web'; });
    PlatformPolicies.enforce(app);
    expect(() => app.synth()).toThrow(/\[pinned-images\] Deployment video-analytics\/web \(at chart\/deployment\): container 'web' uses image 'example\/web'.*Fix: Pin the image/);
  });
});

describe('the single-point-of-failure policy', () => {
  const hardSpread = { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } };
  const hpa = (min: number | undefined) => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: NS }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: min, maxReplicas: 6 } });
  const claim = (accessModes: string[]) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NS }, spec: { accessModes, resources: { requests: { storage: '1Gi' } } } });
  const mountClaim = (o: Record<string, Obj>, readOnly?: boolean) => { o.deployment.spec.template.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly } }]; };
  const asStatefulSet = (o: Record<string, Obj>) => { o.deployment.kind = 'StatefulSet'; o.deployment.spec.serviceName = 'web'; };

  /** The findings of the policy on the base workload, spread hard over nodes, changed by `mutate`. */
  function nodeLoss(mutate: (objects: Record<string, Obj>) => void = () => undefined) {
    return findings((o) => { o.deployment.spec.template.spec.topologySpreadConstraints = [{ ...hardSpread }]; mutate(o); })
      .filter((f) => f.policy === Policy.SINGLE_POINT_OF_FAILURE);
  }

  test('runs by default: a single replica fails the synthesis, naming the workload', () => {
    const single = (o: Record<string, Obj>) => { o.deployment.spec.replicas = 1; };
    expect(findings(single).filter((f) => f.policy === Policy.SINGLE_POINT_OF_FAILURE).map((f) => f.object.name)).toEqual(['web']);
    const app = platform(single);
    PlatformPolicies.enforce(app);
    expect(() => app.synth()).toThrow(/single-point-of-failure/);
  });

  test('a workload of two replicas spread hard over nodes, with a budget that lets drains proceed, has no findings', () => {
    expect(nodeLoss().map(formatFinding)).toEqual([]);
  });

  test.each<[string, (o: Record<string, Obj>) => void, RegExp]>([
    ['one replica', (o) => { o.deployment.spec.replicas = 1; }, /^runs 1 replica at its minimum \(its replicas\), so losing or draining that node leaves none ready$/],
    ['one replica by default', (o) => { delete o.deployment.spec.replicas; }, /^runs 1 replica at its minimum \(its replicas\)/],
    ['an autoscaler that may go down to one', (o) => { delete o.deployment.spec.replicas; o.hpa = hpa(undefined); }, /^runs 1 replica at its minimum \(the minReplicas of its HorizontalPodAutoscaler\)/],
    ['a ScaledObject that scales to zero', (o) => {
      delete o.deployment.spec.replicas;
      o.keda = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'web', namespace: NS }, spec: { scaleTargetRef: { name: 'web' }, minReplicaCount: 0, triggers: [] } };
    }, /^runs 0 replicas at its minimum \(the minReplicaCount of its ScaledObject\)/],
    ['no spread at all', (o) => { delete o.deployment.spec.template.spec.topologySpreadConstraints; }, /^may place every replica on one node: no topologySpreadConstraint over kubernetes.io\/hostname/],
    ['a soft spread', (o) => { o.deployment.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable = 'ScheduleAnyway'; }, /^may place every replica on one node/],
    ['a spread over zones only', (o) => { o.deployment.spec.template.spec.topologySpreadConstraints[0].topologyKey = 'topology.kubernetes.io/zone'; }, /^may place every replica on one node/],
    ['a spread that counts other pods', (o) => { o.deployment.spec.template.spec.topologySpreadConstraints[0].labelSelector = { matchLabels: { app: 'db' } }; }, /^may place every replica on one node/],
    ['a skew as large as the replicas', (o) => { o.deployment.spec.template.spec.topologySpreadConstraints[0].maxSkew = 2; }, /and a maxSkew below 2\)/],
    ['an anti-affinity that only prefers other nodes', (o) => {
      delete o.deployment.spec.template.spec.topologySpreadConstraints;
      o.deployment.spec.template.spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } }] } };
    }, /^may place every replica on one node/],
    ['a pod pinned to a node', (o) => { o.deployment.spec.template.spec.nodeSelector = { 'kubernetes.io/hostname': 'gpu-1' }; }, /^is pinned to node gpu-1 \(nodeSelector\), so every replica stops with it$/],
    ['a ReadWriteOnce claim every replica mounts', (o) => { o.claim = claim(['ReadWriteOnce']); mountClaim(o); },
      /^mounts PersistentVolumeClaim data \(ReadWriteOnce\) in every replica \(volume 'data'\): one node attaches it/],
    ['a ReadWriteOnce claim mounted read-only', (o) => { o.claim = claim(['ReadWriteOnce']); mountClaim(o, true); }, /^mounts PersistentVolumeClaim data \(ReadWriteOnce\)/],
    ['a ReadOnlyMany claim mounted for writing', (o) => { o.claim = claim(['ReadOnlyMany']); mountClaim(o); }, /^mounts PersistentVolumeClaim data \(ReadOnlyMany\)/],
    ['a claim a StatefulSet\'s replicas share', (o) => { asStatefulSet(o); o.claim = claim(['ReadWriteOncePod']); mountClaim(o); }, /^mounts PersistentVolumeClaim data \(ReadWriteOncePod\)/],
    ['no budget', (o) => { delete o.pdb; }, /^has no PodDisruptionBudget, so draining nodes one after another/],
    ['a budget that blocks drains at the minimum', (o) => { delete o.pdb.spec.maxUnavailable; o.pdb.spec.minAvailable = '100%'; },
      /^its PodDisruptionBudget web allows 0 evictions at its minimum of 2 replicas, so a drain of its node waits forever$/],
    ['an opt-out without a reason', (o) => { o.deployment.metadata.annotations = { [SINGLE_REPLICA_REASON_ANNOTATION]: ' ' }; }, /gives no reason/],
  ])('finds %s, naming the workload and the fix', (_title, mutate, message) => {
    const found = nodeLoss(mutate);
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(message)]);
    expect(found[0].object).toEqual(expect.objectContaining({ kind: expect.stringMatching(/^(Deployment|StatefulSet)$/), name: 'web', namespace: NS }));
    expect(found[0].constructPath).toBe('chart/deployment');
    expect(found[0].fix).toMatch(/^(Run at least 2 replicas|Spread the pods over nodes|Give each replica its own volume|Add a PodDisruptionBudget|Say why)/);
  });

  test('every problem of a single replica at once, each with its fix and the way to opt out', () => {
    const found = nodeLoss((o) => { o.deployment.spec.replicas = 1; delete o.deployment.spec.template.spec.topologySpreadConstraints; delete o.pdb; });
    expect(found.map(formatFinding)).toEqual([
      expect.stringMatching(/^\[single-point-of-failure\] Deployment video-analytics\/web \(at chart\/deployment\): runs 1 replica .* Fix: Run at least 2 replicas .*or, if one replica is enough, say why in the annotation video-analytics.io\/single-replica-reason/),
      expect.stringMatching(/may place every replica on one node.* Fix: Spread the pods over nodes with ComponentPods.spreadOverNodes\(\)/),
      expect.stringMatching(/has no PodDisruptionBudget.* Fix: Add a PodDisruptionBudget with maxUnavailable: 1/),
    ]);
  });

  test.each<[string, (o: Record<string, Obj>) => void]>([
    ['required pod anti-affinity instead of a spread', (o) => {
      delete o.deployment.spec.template.spec.topologySpreadConstraints;
      o.deployment.spec.template.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } };
    }],
    ['a spread with the default whenUnsatisfiable and skew below the replicas', (o) => {
      o.deployment.spec.replicas = 3;
      o.deployment.spec.template.spec.topologySpreadConstraints = [{ topologyKey: 'kubernetes.io/hostname', maxSkew: 2, labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] } }];
    }],
    ['an autoscaler whose minimum is two', (o) => { delete o.deployment.spec.replicas; o.hpa = hpa(2); }],
    ['a budget with minAvailable below the minimum', (o) => { delete o.pdb.spec.maxUnavailable; o.pdb.spec.minAvailable = 1; }],
    ['a ReadWriteMany claim', (o) => { o.claim = claim(['ReadWriteMany']); mountClaim(o); }],
    ['a ReadOnlyMany claim mounted read-only', (o) => { o.claim = claim(['ReadOnlyMany']); mountClaim(o, true); }],
    ['a claim made outside the output, whose access modes are unknown', (o) => { mountClaim(o); }],
    ['a StatefulSet whose replicas each get a ReadWriteOnce claim of their own', (o) => {
      asStatefulSet(o);
      o.deployment.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];
      o.deployment.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    }],
    ['a DaemonSet, which runs one pod per node', (o) => { o.deployment.kind = 'DaemonSet'; delete o.deployment.spec.replicas; delete o.deployment.spec.template.spec.topologySpreadConstraints; delete o.pdb; }],
    ['a single replica that says why one is enough', (o) => {
      o.deployment.metadata.annotations = { [SINGLE_REPLICA_REASON_ANNOTATION]: 'stateless, rescheduled in seconds' };
      o.deployment.spec.replicas = 1;
      delete o.deployment.spec.template.spec.topologySpreadConstraints;
      delete o.pdb;
      o.claim = claim(['ReadWriteOnce']); mountClaim(o);
    }],
  ])('finds nothing for %s', (_title, mutate) => {
    expect(nodeLoss(mutate).map(formatFinding)).toEqual([]);
  });
});
