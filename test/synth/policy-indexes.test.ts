import fc from 'fast-check';
import { PolicyContext } from '../../lib/synth/policy/_context';
import { checkSinglePointsOfFailure } from '../../lib/synth/policy/_node-loss';
import { IndexedObject, selectorMatches } from '../../lib/synth/policy/_objects';
import * as indexed from '../../lib/synth/policy/_rules';
import { PolicyContext as ScanningContext } from '../fixtures/policy-scans/_context';
import * as scanning from '../fixtures/policy-scans/_rules';

// Few namespaces, names and labels, so that selectors, autoscalers and budgets collide often.
const namespace = fc.option(fc.constantFrom('a', 'b'), { nil: undefined });
const name = fc.constantFrom('web', 'db', 'api');
const labels = fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db', 'front'), { maxKeys: 2 });
const expression = fc.record({
  key: fc.constantFrom('app', 'tier'),
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'),
  values: fc.array(fc.constantFrom('web', 'db', 'front'), { maxLength: 2 }),
});
const labelSelector = fc.option(fc.record({ matchLabels: labels, matchExpressions: fc.array(expression, { maxLength: 1 }) }, { requiredKeys: [] }), { nil: undefined });
const targetKind = fc.option(fc.constantFrom('Deployment', 'StatefulSet'), { nil: undefined });

const container = fc.record({
  name: fc.constantFrom('main', 'side'),
  image: fc.constantFrom('example/app:1.0.0', 'example/app'),
  ports: fc.constant([{ name: 'http', containerPort: 8080 }]),
  resources: fc.record({ limits: fc.record({ 'nvidia.com/gpu': fc.constantFrom('0', '1', '2') }) }),
});

const workload = fc.record({
  kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet'),
  metadata: fc.record({ name, namespace }, { requiredKeys: ['name'] }),
  spec: fc.record({
    replicas: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    template: fc.record({ metadata: fc.record({ labels }), spec: fc.record({ containers: fc.array(container, { minLength: 1, maxLength: 2 }) }) }),
  }),
});
const service = fc.record({ kind: fc.constant('Service'), metadata: fc.record({ name, namespace }), spec: fc.record({ selector: labels, ports: fc.constant([{ name: 'http', port: 80, targetPort: 'http' }]) }) });
const budget = fc.record({
  kind: fc.constant('PodDisruptionBudget'),
  metadata: fc.record({ name, namespace }),
  spec: fc.record({ selector: labelSelector, maxUnavailable: fc.option(fc.constantFrom(0, 1, '50%'), { nil: undefined }), minAvailable: fc.option(fc.constantFrom(1, 2, '100%'), { nil: undefined }) }),
});
const hpa = fc.record({
  kind: fc.constant('HorizontalPodAutoscaler'),
  metadata: fc.record({ name, namespace }),
  spec: fc.record({ scaleTargetRef: fc.record({ kind: targetKind, name }), minReplicas: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), maxReplicas: fc.integer({ min: 1, max: 5 }) }),
});
const scaledObject = fc.record({
  kind: fc.constant('ScaledObject'),
  metadata: fc.record({ name, namespace }),
  spec: fc.record({ scaleTargetRef: fc.record({ kind: targetKind, name }), minReplicaCount: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), maxReplicaCount: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }),
});
const networkPolicy = fc.record({ kind: fc.constant('NetworkPolicy'), metadata: fc.record({ name, namespace }), spec: fc.record({ podSelector: labelSelector }) });

const objects = fc.array(fc.oneof(workload, workload, service, budget, hpa, scaledObject, networkPolicy), { maxLength: 30 })
  .map((list) => list.map((json, i): IndexedObject => ({
    json, constructPath: `app/object-${i}`,
    ref: { kind: json.kind, namespace: json.metadata.namespace, name: json.metadata.name },
  })));

describe('PolicyContext indexes', () => {
  test.each([
    'checkServices', 'checkDisruptionBudgets', 'checkAutoscalers', 'checkNetworkPolicyCoverage', 'checkGpuScheduling',
  ] as const)('%s finds exactly what a scan of every object finds, in the same order', (check) => {
    fc.assert(fc.property(objects, fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), (list, gpuCapacity) => {
      expect(indexed[check](new PolicyContext(list, gpuCapacity))).toEqual(scanning[check](new ScanningContext(list, gpuCapacity)));
    }), { numRuns: 300 });
  });
});

describe('the single-point-of-failure policy on random objects', () => {
  test('reports only Deployments and StatefulSets, and finds a budget exactly where a scan of every budget finds one', () => {
    fc.assert(fc.property(objects, (list) => {
      const found = checkSinglePointsOfFailure(new PolicyContext(list));
      expect(found.every((f) => f.object.kind === 'Deployment' || f.object.kind === 'StatefulSet')).toBe(true);
      const withoutBudget = new Set(found.filter((f) => f.message.startsWith('has no PodDisruptionBudget')).map((f) => f.constructPath));
      const namespaceOf = (o: IndexedObject) => o.json.metadata.namespace ?? 'default';
      const scanned = list.filter((w) => w.json.kind === 'Deployment' || w.json.kind === 'StatefulSet').filter((w) => !list.some((b) => b.json.kind === 'PodDisruptionBudget'
        && namespaceOf(b) === namespaceOf(w) && selectorMatches(b.json.spec.selector, w.json.spec.template.metadata.labels)));
      expect(withoutBudget).toEqual(new Set(scanned.map((w) => w.constructPath)));
    }), { numRuns: 300 });
  });
});
