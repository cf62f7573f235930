import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { Json, NetworkModel, PodGroup } from './_network-policy-evaluator';

type Port = { name?: string; containerPort: number; protocol?: string };

function namespace(name: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function workload(ns: string, name: string, labels: Record<string, string>, ports: Port[] = [{ name: 'http', containerPort: 8080 }], extra: Json = {}): Json {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: { template: { metadata: { labels }, spec: { ...extra, containers: [{ name: 'main', image: 'example', ports }] } } },
  };
}

function policy(ns: string, name: string, spec: Json): Json {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

const DENY_ALL = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };

/** Two namespaces with a web and a db each, plus a worker in `a`. */
function twoNamespaces(...extra: Json[]): NetworkModel {
  return new NetworkModel([
    namespace('a', { team: 'shop' }),
    namespace('b', { team: 'ops' }),
    workload('a', 'web', { app: 'web' }),
    workload('a', 'db', { app: 'db' }, [{ name: 'sql', containerPort: 5432 }]),
    workload('a', 'worker', { app: 'worker', tier: 'batch' }),
    workload('b', 'web', { app: 'web' }),
    workload('b', 'db', { app: 'db' }, [{ name: 'sql', containerPort: 5432 }]),
    ...extra,
  ]);
}

function allowed(model: NetworkModel, from: string, to: string, port: number, protocol?: string): boolean {
  const [fromNs, fromName] = from.split('/');
  const [toNs, toName] = to.split('/');
  return model.allows({ from: model.group(fromNs, fromName), to: model.group(toNs, toName), port, protocol });
}

describe('NetworkModel: pod groups and namespaces', () => {
  test('reads workloads, labels, ports and hostNetwork from pod templates', () => {
    const model = new NetworkModel([
      workload('a', 'web', { app: 'web' }, [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }]),
      workload('a', 'agent', { app: 'agent' }, [], { hostNetwork: true }),
      namespace('a'),
    ]);
    expect(model.groups.map((g) => `${g.kind} ${g.namespace}/${g.name}`)).toEqual(['Deployment a/web', 'Deployment a/agent']);
    expect(model.group('a', 'web').labels).toEqual({ app: 'web' });
    expect(model.group('a', 'web').ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]);
    expect(model.group('a', 'web').hostNetwork).toBe(false);
    expect(model.group('a', 'agent').hostNetwork).toBe(true);
  });

  test('group() names the known groups when the requested one is missing', () => {
    const model = twoNamespaces();
    expect(() => model.group('a', 'cache')).toThrow(/no workload named 'cache' in namespace 'a'.*Deployment a\/db/);
  });
});

describe('NetworkModel: isolation', () => {
  test('with no policies every flow is allowed; a policy isolates only the pods it selects', () => {
    expect(allowed(twoNamespaces(), 'a/web', 'b/db', 5432)).toBe(true);
    expect(allowed(twoNamespaces(), 'b/web', 'a/db', 9999, 'UDP')).toBe(true);

    const bIsolated = twoNamespaces(policy('b', 'default-deny', DENY_ALL));
    expect(allowed(bIsolated, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(bIsolated, 'a/web', 'b/db', 5432)).toBe(false);
    expect(allowed(bIsolated, 'b/web', 'a/db', 5432)).toBe(false);
  });

  test('default deny: empty podSelector with both types and no rules denies everything in and out', () => {
    const model = twoNamespaces(policy('a', 'default-deny', DENY_ALL));
    expect(allowed(model, 'a/web', 'a/db', 5432)).toBe(false);
    expect(allowed(model, 'a/web', 'b/db', 5432)).toBe(false);
    expect(allowed(model, 'b/web', 'a/db', 5432)).toBe(false);
    expect(model.allowsEgressToAddress(model.group('a', 'web'), '1.1.1.1', 443)).toBe(false);
    expect(allowed(model, 'b/web', 'b/db', 5432)).toBe(true);
    expect(model.allowsEgressToAddress(model.group('b', 'web'), '1.1.1.1', 443)).toBe(true);
  });

  test('policyTypes default to Ingress, plus Egress when there are egress rules', () => {
    const ingressOnly = twoNamespaces(policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } } }));
    expect(allowed(ingressOnly, 'a/web', 'a/db', 5432)).toBe(false);
    expect(allowed(ingressOnly, 'a/db', 'a/web', 8080)).toBe(true);

    const withEgress = twoNamespaces(policy('a', 'web', {
      podSelector: { matchLabels: { app: 'web' } },
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }],
    }));
    expect(allowed(withEgress, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(withEgress, 'a/web', 'a/worker', 8080)).toBe(false);
    expect(allowed(withEgress, 'a/worker', 'a/web', 8080)).toBe(false);
  });

  test('an empty ingress rule allows from everywhere, on every port', () => {
    const model = twoNamespaces(policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{}] }));
    expect(allowed(model, 'b/web', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'a/web', 'a/db', 1234, 'UDP')).toBe(true);

    const noRules = twoNamespaces(policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [] }));
    expect(allowed(noRules, 'b/web', 'a/db', 5432)).toBe(false);
  });

  test('the egress side must allow too: an open ingress does not help a denied egress', () => {
    const openDb = policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: {} }] }] });
    const webEgressDenied = policy('a', 'web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] });
    expect(allowed(twoNamespaces(openDb), 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(twoNamespaces(openDb, webEgressDenied), 'a/web', 'a/db', 5432)).toBe(false);

    const webEgressToDb = policy('a', 'web-to-db', {
      podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }],
    });
    expect(allowed(twoNamespaces(openDb, webEgressDenied, webEgressToDb), 'a/web', 'a/db', 5432)).toBe(true);
  });
});

describe('NetworkModel: peers', () => {
  const dbIngress = (from: Json[], ports: Json[] = [{ port: 5432, protocol: 'TCP' }]) =>
    policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from, ports }] });

  test('a podSelector peer matches pods of the policy namespace only, on the listed ports', () => {
    const model = twoNamespaces(dbIngress([{ podSelector: { matchLabels: { app: 'web' } } }]));
    expect(allowed(model, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'a/web', 'a/db', 5433)).toBe(false);
    expect(allowed(model, 'a/web', 'a/db', 5432, 'UDP')).toBe(false);
    expect(allowed(model, 'a/worker', 'a/db', 5432)).toBe(false);
    expect(allowed(model, 'b/web', 'a/db', 5432)).toBe(false);
  });

  test('a namespaceSelector-only peer matches every pod of the matching namespaces', () => {
    const byTeam = twoNamespaces(dbIngress([{ namespaceSelector: { matchLabels: { team: 'ops' } } }]));
    expect(allowed(byTeam, 'b/web', 'a/db', 5432)).toBe(true);
    expect(allowed(byTeam, 'b/db', 'a/db', 5432)).toBe(true);
    expect(allowed(byTeam, 'a/web', 'a/db', 5432)).toBe(false);

    const byName = twoNamespaces(dbIngress([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } } }]));
    expect(allowed(byName, 'a/worker', 'a/db', 5432)).toBe(true);
    expect(allowed(byName, 'b/web', 'a/db', 5432)).toBe(false);
  });

  test('namespaceSelector with podSelector matches the selected pods of the selected namespaces', () => {
    const model = twoNamespaces(dbIngress([{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { app: 'web' } } }]));
    expect(allowed(model, 'b/web', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'b/db', 'a/db', 5432)).toBe(false);
    expect(allowed(model, 'a/web', 'a/db', 5432)).toBe(false);

    const anyNamespace = twoNamespaces(dbIngress([{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'web' } } }]));
    expect(allowed(anyNamespace, 'b/web', 'a/db', 5432)).toBe(true);
    expect(allowed(anyNamespace, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(anyNamespace, 'a/worker', 'a/db', 5432)).toBe(false);

    const sameNamespaceOnly = twoNamespaces(dbIngress([{ podSelector: { matchLabels: { app: 'web' } } }]));
    expect(allowed(sameNamespaceOnly, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(sameNamespaceOnly, 'b/web', 'a/db', 5432)).toBe(false);
  });

  test('separate peers are alternatives, not a conjunction', () => {
    const model = twoNamespaces(dbIngress([{ namespaceSelector: { matchLabels: { team: 'ops' } } }, { podSelector: { matchLabels: { app: 'web' } } }]));
    expect(allowed(model, 'b/db', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'a/worker', 'a/db', 5432)).toBe(false);
  });

  test('matchExpressions: In, NotIn, Exists and DoesNotExist', () => {
    const withExpression = (expression: Json) => twoNamespaces(dbIngress([{ podSelector: { matchExpressions: [expression] } }]));

    const inWebOrWorker = withExpression({ key: 'app', operator: 'In', values: ['web', 'worker'] });
    expect(allowed(inWebOrWorker, 'a/worker', 'a/db', 5432)).toBe(true);
    expect(allowed(inWebOrWorker, 'a/db', 'a/db', 5432)).toBe(false);

    const notWeb = withExpression({ key: 'app', operator: 'NotIn', values: ['web'] });
    expect(allowed(notWeb, 'a/worker', 'a/db', 5432)).toBe(true);
    expect(allowed(notWeb, 'a/web', 'a/db', 5432)).toBe(false);
    const notBatch = withExpression({ key: 'tier', operator: 'NotIn', values: ['batch'] });
    expect(allowed(notBatch, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(notBatch, 'a/worker', 'a/db', 5432)).toBe(false);

    const hasTier = withExpression({ key: 'tier', operator: 'Exists' });
    expect(allowed(hasTier, 'a/worker', 'a/db', 5432)).toBe(true);
    expect(allowed(hasTier, 'a/web', 'a/db', 5432)).toBe(false);

    const noTier = withExpression({ key: 'tier', operator: 'DoesNotExist' });
    expect(allowed(noTier, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(noTier, 'a/worker', 'a/db', 5432)).toBe(false);

    const namespaceNotShop = twoNamespaces(dbIngress([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['shop'] }] } }]));
    expect(allowed(namespaceNotShop, 'b/web', 'a/db', 5432)).toBe(true);
    expect(allowed(namespaceNotShop, 'a/web', 'a/db', 5432)).toBe(false);
  });

  test('ipBlock peers do not match ordinary pods, but 0.0.0.0/0 matches hostNetwork pods', () => {
    const model = new NetworkModel([
      workload('a', 'db', { app: 'db' }, [{ name: 'sql', containerPort: 5432 }]),
      workload('a', 'web', { app: 'web' }),
      workload('a', 'agent', { app: 'agent' }, [], { hostNetwork: true }),
      policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
    ]);
    expect(allowed(model, 'a/agent', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'a/web', 'a/db', 5432)).toBe(false);

    const withExceptions = new NetworkModel([
      workload('a', 'db', { app: 'db' }, [{ name: 'sql', containerPort: 5432 }]),
      workload('a', 'agent', { app: 'agent' }, [], { hostNetwork: true }),
      policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] }),
    ]);
    expect(allowed(withExceptions, 'a/agent', 'a/db', 5432)).toBe(false);
  });

  test('hostNetwork pods are node traffic: no policy isolates them and selectors do not match them', () => {
    const model = new NetworkModel([
      workload('a', 'web', { app: 'web' }),
      workload('a', 'agent', { app: 'agent' }, [{ name: 'metrics', containerPort: 9100 }], { hostNetwork: true }),
      policy('a', 'default-deny', DENY_ALL),
      policy('a', 'web', {
        podSelector: { matchLabels: { app: 'web' } },
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'agent' } } }], ports: [{ port: 9100 }] }],
        ingress: [{ from: [{ podSelector: {} }] }],
      }),
    ]);
    expect(allowed(model, 'a/agent', 'a/web', 8080)).toBe(false);
    expect(allowed(model, 'a/web', 'a/agent', 9100)).toBe(false);

    const byAddress = new NetworkModel([
      workload('a', 'web', { app: 'web' }),
      workload('a', 'agent', { app: 'agent' }, [{ name: 'metrics', containerPort: 9100 }], { hostNetwork: true }),
      policy('a', 'default-deny', DENY_ALL),
      policy('a', 'web', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 9100 }] }] }),
    ]);
    expect(allowed(byAddress, 'a/web', 'a/agent', 9100)).toBe(true);
    expect(allowed(byAddress, 'a/web', 'a/agent', 9101)).toBe(false);
    expect(byAddress.allowsEgressToAddress(byAddress.group('a', 'agent'), '203.0.113.7', 25)).toBe(true);
  });
});

describe('NetworkModel: ports', () => {
  const dbPorts = (ports: Json[]) =>
    policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: {} }], ports }] });

  test('a named rule port resolves against the target container ports', () => {
    const model = twoNamespaces(dbPorts([{ port: 'sql' }]));
    expect(allowed(model, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(model, 'a/web', 'a/db', 5433)).toBe(false);
    expect(allowed(model, 'a/web', 'a/db', 5432, 'UDP')).toBe(false);

    const wrongName = twoNamespaces(dbPorts([{ port: 'http' }]));
    expect(allowed(wrongName, 'a/web', 'a/db', 5432)).toBe(false);
  });

  test('endPort covers a range; a port given as a digit string counts as a number', () => {
    const range = twoNamespaces(dbPorts([{ port: 5000, endPort: 5500 }]));
    expect(allowed(range, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(range, 'a/web', 'a/db', 5501)).toBe(false);

    const digits = twoNamespaces(dbPorts([{ port: '5432' }]));
    expect(allowed(digits, 'a/web', 'a/db', 5432)).toBe(true);
    expect(allowed(digits, 'a/web', 'a/db', 80)).toBe(false);
  });

  test('allowedFlows lists exactly the allowed flows over declared ports, sorted', () => {
    const model = new NetworkModel([
      workload('a', 'web', { app: 'web' }),
      workload('a', 'db', { app: 'db' }, [{ name: 'sql', containerPort: 5432 }, { name: 'admin', containerPort: 9000 }]),
      workload('a', 'api', { app: 'web', role: 'api' }),
      policy('a', 'default-deny', DENY_ALL),
      policy('a', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'sql' }] }] }),
      policy('a', 'web', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }] }),
    ]);
    expect(model.allowedFlows()).toEqual([{ from: 'a/api', to: 'a/db', port: 5432 }, { from: 'a/web', to: 'a/db', port: 5432 }]);
  });
});

describe('NetworkModel: egress to addresses', () => {
  test('ipBlock allows addresses inside the cidr and outside its exceptions, on the listed ports', () => {
    const model = twoNamespaces(policy('a', 'web', {
      podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.9.0/24'] } }], ports: [{ port: 554 }] },
        { to: [{ podSelector: { matchLabels: { app: 'db' } } }] },
      ],
    }));
    const web = model.group('a', 'web');
    expect(model.allowsEgressToAddress(web, '10.20.1.11', 554)).toBe(true);
    expect(model.allowsEgressToAddress(web, '10.20.9.11', 554)).toBe(false);
    expect(model.allowsEgressToAddress(web, '10.21.1.11', 554)).toBe(false);
    expect(model.allowsEgressToAddress(web, '10.20.1.11', 80)).toBe(false);
    expect(model.allowsEgressToAddress(web, '10.20.1.11', 554, 'UDP')).toBe(false);
    expect(model.allowsEgressToAddress(model.group('a', 'worker'), '10.21.1.11', 80)).toBe(true);
    expect(() => model.allowsEgressToAddress(web, '10.20.1', 554)).toThrow(/invalid IPv4 address/);
  });
});

/** The committed reference output: every object the platform synthesizes today. */
function loadDist(): Json[] {
  const dist = path.join(__dirname, '..', 'dist');
  const files = fs.readdirSync(dist).filter((f) => f.endsWith('.k8s.yaml')).sort();
  return files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(dist, f), 'utf8')).map((d) => d.toJSON()));
}

describe('NetworkModel on dist/', () => {
  test('analysis reads streams and calls the pool; Prometheus scrapes the pool; the pool cannot read streams', () => {
    const model = new NetworkModel(loadDist());
    const flow = (from: PodGroup, to: PodGroup, port: number) => model.allows({ from, to, port });
    const helmet = model.group('video-analytics', 'safety-helmet');
    const shard = model.group('video-analytics', 'ingest-shard-0');
    const yolo = model.group('video-analytics', 'yolo');
    const prometheus = model.group('monitoring', 'prometheus');

    expect(prometheus.kind).toBe('StatefulSet');
    expect(flow(helmet, shard, 8554)).toBe(true);
    expect(flow(helmet, yolo, 8000)).toBe(true);
    expect(flow(helmet, yolo, 8001)).toBe(true);
    expect(flow(prometheus, yolo, 8002)).toBe(true);
    expect(flow(yolo, shard, 8554)).toBe(false);
    // node-exporter runs on the host network: reached through Prometheus's 0.0.0.0/0 egress rule.
    expect(flow(prometheus, model.group('monitoring-host', 'node-exporter'), 9100)).toBe(true);
  });
});
