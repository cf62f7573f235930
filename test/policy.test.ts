import { ApiObject, App, Chart } from 'cdk8s';
import { Policy, PlatformPolicies } from '../lib';
import { formatFinding } from '../lib/synth/policy/policy-finding';
import { testApp } from './_helpers';

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
          containers: [{
            name: 'web', image: 'example/web:1.0.0', ports: [{ name: 'http', containerPort: 8080 }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
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
