import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { CameraSpec, Connections, SHARD_LABEL, StreamIngest, StreamIngestProps } from '../../lib';
import { CONFIG_CHECKSUM_ANNOTATION, SINGLE_REPLICA_REASON_ANNOTATION } from '../../lib/synth/pod/builder';
import { parse as parseYaml } from 'yaml';
import { KubeObject, findObject, objectsOfKind, synthValid, testChart } from '../_helpers';
import { NetworkModel } from '../_network-policy-evaluator';

const NS = 'video-analytics';

function cameras(count: number, offset = 0): CameraSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `cam-${String(i + offset).padStart(3, '0')}`,
    url: `rtsp://10.20.${Math.floor((i + offset) / 200)}.${((i + offset) % 200) + 10}:554/h264`,
  }));
}

function synthIngest(props: Partial<StreamIngestProps> & { cameras: readonly CameraSpec[] }): { ingest: StreamIngest; objects: KubeObject[] } {
  const chart = testChart();
  const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, ...props });
  return { ingest, objects: synthValid(chart) };
}

function configOf(objects: KubeObject[], shardName: string): any {
  return parseYaml(findObject(objects, 'ConfigMap', shardName).data['mediamtx.yml']);
}

function checksums(objects: KubeObject[]): Record<string, string> {
  return Object.fromEntries(objectsOfKind(objects, 'Deployment').map((d) => [d.metadata.name, d.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]]));
}

describe('StreamIngest', () => {
  const small: CameraSpec[] = [
    ...cameras(5),
    { id: 'dock-1', url: 'rtsps://dock-cam-1.site.example:8322/main', credentials: { secretName: 'dock-cameras', usernameKey: 'user', passwordKey: 'pass' } },
  ];

  test('a small ingest: snapshot, and one MediaMTX deployment, headless service and config per shard', () => {
    const { ingest, objects } = synthIngest({ cameras: small, camerasPerShard: 4 });
    expect(objects).toMatchSnapshot();

    expect(ingest.shards.map((s) => s.name)).toEqual(['ingest-shard-0', 'ingest-shard-1', 'ingest-shard-2']);
    expect(ingest.shards.flatMap((s) => s.cameraIds).sort()).toEqual(small.map((c) => c.id).sort());
    for (const shard of ingest.shards) {
      const service = findObject(objects, 'Service', shard.name);
      expect(service.spec.clusterIP).toBe('None');
      expect(service.spec.selector).toEqual({
        'app.kubernetes.io/name': 'mediamtx', 'app.kubernetes.io/instance': 'ingest', 'app.kubernetes.io/component': 'stream-ingest', [SHARD_LABEL]: String(shard.index),
      });
      const deployment = findObject(objects, 'Deployment', shard.name);
      expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
      expect(deployment.spec.template.metadata.labels).toEqual(expect.objectContaining(service.spec.selector));
      expect(Object.keys(configOf(objects, shard.name).paths).sort()).toEqual([...shard.cameraIds]);
    }
  });

  test('each shard pod pulls and serves over TCP, with API and metrics on', () => {
    const { ingest, objects } = synthIngest({ cameras: small, camerasPerShard: 4 });
    const config = configOf(objects, ingest.shards[0].name);
    expect(config).toEqual(expect.objectContaining({ api: true, apiAddress: ':9997', metrics: true, metricsAddress: ':9998', rtspTransports: ['tcp'], rtmp: false, hls: false, webrtc: false, srt: false }));
    expect(config.pathDefaults).toEqual({ sourceOnDemand: false, rtspTransport: 'tcp' });
    // Nobody may publish: the only writer of a path is its camera.
    expect(config.authInternalUsers.flatMap((u: any) => u.permissions.map((p: any) => p.action))).not.toContain('publish');
    expect(config.authInternalUsers[1].ips).toEqual(['127.0.0.1', '::1', '10.42.0.0/16']);
  });

  test('one replica per shard is the user\'s recorded choice, the only way past the single-point-of-failure policy', () => {
    const reason = (props: Partial<StreamIngestProps>) =>
      findObject(synthIngest({ cameras: cameras(3), ...props }).objects, 'Deployment', 'ingest-shard-0').metadata.annotations?.[SINGLE_REPLICA_REASON_ANNOTATION];
    expect(reason({})).toBeUndefined();
    expect(reason({ replicasPerShard: 1 })).toMatch(/^'replicasPerShard' is 1 in the construct's props/);
  });

  test('pods are highly available, hardened and sized', () => {
    const { ingest, objects } = synthIngest({ cameras: small, camerasPerShard: 4 });
    const deployment = findObject(objects, 'Deployment', ingest.shards[1].name);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const pod = deployment.spec.template.spec;
    expect(pod.topologySpreadConstraints[0]).toEqual({
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor',
      labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container.image).toBe('bluenviron/mediamtx:1.19.3');
    expect(container.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    // The in-memory rendered config counts against memory, not ephemeral storage: the builder's 64Mi/512Mi stand.
    expect(container.resources).toEqual({ requests: { 'cpu': '100m', 'memory': '128Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '1', 'memory': '512Mi', 'ephemeral-storage': '512Mi' } });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v3/paths/list', port: 'api' });
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 'rtsp' });
    expect(container.ports.map((p: any) => [p.name, p.containerPort])).toEqual([['rtsp', 8554], ['api', 9997], ['metrics', 9998]]);

    // One budget per shard, each over exactly its shard's pods: shards drain in parallel.
    expect(objectsOfKind(objects, 'PodDisruptionBudget').map((b) => b.metadata.name)).toEqual(ingest.shards.map((s) => s.name));
    for (const shard of ingest.shards) {
      const budget = findObject(objects, 'PodDisruptionBudget', shard.name);
      expect(budget.spec).toEqual({ maxUnavailable: 1, selector: findObject(objects, 'Deployment', shard.name).spec.selector });
      expect(budget.spec.selector.matchLabels[SHARD_LABEL]).toBe(String(shard.index));
    }
    expect(findObject(objects, 'ServiceAccount', 'ingest').automountServiceAccountToken).toBe(false);
  });

  test('resources can be overridden field by field; a request above its limit is refused', () => {
    const { objects } = synthIngest({ cameras: cameras(2), resources: { memory: { limit: Size.gibibytes(1) } } });
    const [container] = findObject(objects, 'Deployment', 'ingest-shard-0').spec.template.spec.containers;
    expect(container.resources).toEqual({ requests: { 'cpu': '100m', 'memory': '128Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '1', 'memory': '1Gi', 'ephemeral-storage': '512Mi' } });
    expect(() => synthIngest({ cameras: cameras(2), resources: { cpu: { request: Cpu.units(2) } } }))
      .toThrow(/StreamIngest 'ingest': 'resources.cpu.request' \(2\) must be at most the CPU limit \(1\)/);
  });

  test('credentials come from the Secret at pod start and never appear in any object', () => {
    const { ingest, objects } = synthIngest({ cameras: small, camerasPerShard: 4 });
    const dockShard = ingest.shards.find((s) => s.cameraIds.includes('dock-1'))!;
    const config = configOf(objects, dockShard.name);
    expect(config.paths['dock-1'].source).toBe('rtsps://${CAMERA_DOCK_1_USERNAME}:${CAMERA_DOCK_1_PASSWORD}@dock-cam-1.site.example:8322/main');
    const pod = findObject(objects, 'Deployment', dockShard.name).spec.template.spec;
    expect(pod.initContainers[0].env).toEqual([
      { name: 'CAMERA_DOCK_1_USERNAME', valueFrom: { secretKeyRef: { name: 'dock-cameras', key: 'user' } } },
      { name: 'CAMERA_DOCK_1_PASSWORD', valueFrom: { secretKeyRef: { name: 'dock-cameras', key: 'pass' } } },
    ]);
    expect(pod.volumes).toContainEqual({ name: 'rendered-config', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'rendered-config', mountPath: '/config', readOnly: true }]);
    // Shards without credentials read the ConfigMap directly and need no init container.
    const plainShard = ingest.shards.find((s) => !s.cameraIds.includes('dock-1'))!;
    expect(findObject(objects, 'Deployment', plainShard.name).spec.template.spec.initContainers).toBeUndefined();
    expect(objectsOfKind(objects, 'Secret')).toEqual([]);
  });

  test('the credential renderer percent-encodes values and fails when one is missing', () => {
    const { ingest, objects } = synthIngest({ cameras: small, camerasPerShard: 4 });
    const dockShard = ingest.shards.find((s) => s.cameraIds.includes('dock-1'))!;
    const data = findObject(objects, 'ConfigMap', dockShard.name).data;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-'));
    try {
      fs.writeFileSync(path.join(dir, 'render.awk'), data['render.awk']);
      fs.writeFileSync(path.join(dir, 'mediamtx.yml'), data['mediamtx.yml']);
      const run = (env: Record<string, string>) => spawnSync('awk', ['-f', path.join(dir, 'render.awk'), path.join(dir, 'mediamtx.yml')], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

      const ok = run({ CAMERA_DOCK_1_USERNAME: 'operator', CAMERA_DOCK_1_PASSWORD: 'p@ss:w/rd %1' });
      expect(ok.status).toBe(0);
      expect(parseYaml(ok.stdout).paths['dock-1'].source).toBe('rtsps://operator:p%40ss%3Aw%2Frd%20%251@dock-cam-1.site.example:8322/main');

      const missing = run({ CAMERA_DOCK_1_USERNAME: 'operator' });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toMatch(/CAMERA_DOCK_1_PASSWORD is not set/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('streamUrl points at the shard that pulls the camera', () => {
    const { ingest, objects } = synthIngest({ cameras: cameras(40) });
    for (const camera of cameras(40)) {
      const url = new URL(ingest.streamUrl(camera.id));
      const shardName = url.hostname.split('.')[0];
      expect(url.hostname).toBe(`${shardName}.${NS}.svc.cluster.local`);
      expect(url.port).toBe('8554');
      expect(configOf(objects, shardName).paths[camera.id]).toBeDefined();
    }
    expect(() => ingest.streamUrl('cam-999')).toThrow(/StreamIngest 'ingest': 'cameraId' \(cam-999\) must be the id of a camera of this ingest/);
  });

  test('the network policy admits nobody until a reader is declared, and lets the pods out only to the cameras', () => {
    const { objects } = synthIngest({ cameras: cameras(3) });
    const policy = findObject(objects, 'NetworkPolicy', 'ingest');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    // 10.20.0.10 and .11 share a /31; .12 starts the next one alone.
    expect(policy.spec.egress).toEqual([{
      to: [{ ipBlock: { cidr: '10.20.0.10/31' } }, { ipBlock: { cidr: '10.20.0.12/32' } }],
      ports: [{ protocol: 'TCP', port: 554 }],
    }]);
    const withHostname = synthIngest({ cameras: [{ id: 'a', url: 'rtsp://cam-a.site.example/live' }, { id: 'b', url: 'rtsps://10.0.0.9/live' }] }).objects;
    // A name may resolve to an IPv4 or an IPv6 address.
    expect(findObject(withHostname, 'NetworkPolicy', 'ingest').spec.egress).toEqual([{
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ protocol: 'TCP', port: 322 }, { protocol: 'TCP', port: 554 }],
    }]);
  });

  test('a camera given by IPv6 address is let out to as its /128, in canonical form, beside the IPv4 blocks', () => {
    const { objects } = synthIngest({
      cameras: [
        { id: 'a', url: 'rtsp://[FD00:0:0:0::0b]:554/live' },
        { id: 'b', url: 'rtsp://10.0.0.9/live' },
        { id: 'c', url: 'rtsp://[2001:db8::1]:8554/live' },
        { id: 'd', url: 'rtsp://[fd00::b]/other' },
      ],
    });
    expect(findObject(objects, 'NetworkPolicy', 'ingest').spec.egress).toEqual([{
      to: [{ ipBlock: { cidr: '10.0.0.9/32' } }, { ipBlock: { cidr: '2001:db8::1/128' } }, { ipBlock: { cidr: 'fd00::b/128' } }],
      ports: [{ protocol: 'TCP', port: 554 }, { protocol: 'TCP', port: 8554 }],
    }]);
  });

  test('at city scale the camera egress is a few CIDR blocks that let out to every camera and to no other address', () => {
    // 1,000 cameras at 10.20.<n>.10 to .209, with a few taken out so that the runs have gaps.
    const removed = new Set([17, 200, 399, 734]);
    const many = cameras(1000).filter((_, i) => !removed.has(i));
    const { objects } = synthIngest({ cameras: many });
    const policy = findObject(objects, 'NetworkPolicy', 'ingest');
    expect(policy.spec.egress).toHaveLength(1);
    const blocks: string[] = policy.spec.egress[0].to.map((peer: KubeObject) => peer.ipBlock.cidr);
    expect(blocks.length).toBeLessThan(100);
    const model = new NetworkModel([...objects]);
    const shard = model.groups.find((g) => g.name === 'ingest-shard-0')!;
    for (let i = 0; i < 1000; i++) {
      const address = `10.20.${Math.floor(i / 200)}.${(i % 200) + 10}`;
      expect({ address, allowed: model.allowsEgressToAddress(shard, address, 554) }).toEqual({ address, allowed: !removed.has(i) });
    }
    // Just outside every run: .9 and .210 of each third octet, and the next octet.
    for (let octet = 0; octet <= 5; octet++) {
      for (const last of [0, 9, 210, 255]) expect({ octet, last, allowed: model.allowsEgressToAddress(shard, `10.20.${octet}.${last}`, 554) }).toEqual({ octet, last, allowed: false });
    }
    expect(model.allowsEgressToAddress(shard, '10.20.0.10', 8554)).toBe(false);
  });

  test('allowReader admits each declared reader by its own label, in its own namespace or another, and lets it out to the shards', () => {
    const chart = testChart();
    const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, cameras: cameras(3) });
    const reader = (name: string, namespace: string): Connections =>
      new Connections({ ownerKind: 'AnalysisService', name, namespace, podSelector: { 'app.kubernetes.io/name': name } });
    const [here, there, alsoThere] = [reader('smoke', NS), reader('intrusion', 'detections'), reader('helmet', 'detections')];
    for (const r of [here, there, alsoThere]) ingest.allowReader({ connections: r });
    ingest.allowReader({ connections: here });
    const label = 'video-analytics.io/client-of-ingest';
    expect(findObject(Testing.synth(chart), 'NetworkPolicy', 'ingest').spec.ingress).toEqual([{
      from: [
        { podSelector: { matchLabels: { [label]: NS } } },
        { podSelector: { matchLabels: { [label]: NS } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'detections' } } },
      ],
      ports: [{ protocol: 'TCP', port: 8554 }],
    }]);
    const shards = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mediamtx', 'app.kubernetes.io/instance': 'ingest', 'app.kubernetes.io/component': 'stream-ingest' } } };
    expect(here.egress).toEqual([{ to: [shards], ports: [expect.objectContaining({ protocol: 'TCP' })] }]);
    expect(there.egress).toEqual([{ to: [{ ...shards, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } } }], ports: [expect.objectContaining({ protocol: 'TCP' })] }]);
    const templateLabels: Record<string, string> = { app: 'intrusion' };
    there.labelPods(templateLabels);
    expect(templateLabels).toEqual({ app: 'intrusion', [label]: NS });
  });

  test('offers its metrics endpoint as a scrape target', () => {
    const { ingest } = synthIngest({ cameras: cameras(3) });
    expect(ingest.toScrapeTarget()).toEqual(expect.objectContaining({
      jobName: 'ingest', namespace: NS, portName: 'metrics', port: 9998, path: '/metrics',
      podSelector: { 'app.kubernetes.io/name': 'mediamtx', 'app.kubernetes.io/instance': 'ingest', 'app.kubernetes.io/component': 'stream-ingest' },
    }));
  });

  describe('stability as cameras come and go', () => {
    test('changing one camera rolls exactly the shard that pulls it', () => {
      const before = cameras(48);
      const after = before.map((c) => (c.id === 'cam-017' ? { ...c, url: 'rtsp://10.99.0.1:554/h264' } : c));
      const a = synthIngest({ cameras: before });
      const b = synthIngest({ cameras: after });
      const changed = Object.entries(checksums(a.objects)).filter(([name, sum]) => checksums(b.objects)[name] !== sum).map(([name]) => name);
      expect(changed).toEqual([a.ingest.shards.find((s) => s.cameraIds.includes('cam-017'))!.name]);
    });

    test('with a pinned shard count, adding a camera touches only the shard it joins', () => {
      const a = synthIngest({ cameras: cameras(48), shards: 6 });
      const b = synthIngest({ cameras: cameras(49), shards: 6 });
      const joined = b.ingest.shards.find((s) => s.cameraIds.includes('cam-048'))!;
      for (const shard of a.ingest.shards) {
        const expected = shard.index === joined.index ? [...shard.cameraIds, 'cam-048'].sort() : shard.cameraIds;
        expect(b.ingest.shards[shard.index].cameraIds).toEqual(expected);
      }
      const changed = Object.entries(checksums(a.objects)).filter(([name, sum]) => checksums(b.objects)[name] !== sum).map(([name]) => name);
      expect(changed).toEqual([joined.name]);
    });

    test('the default shard count keeps every shard at or under camerasPerShard', () => {
      const { ingest } = synthIngest({ cameras: cameras(300), camerasPerShard: 16 });
      expect(ingest.shards.length).toBe(38);
      expect(Math.max(...ingest.shards.map((s) => s.cameraIds.length))).toBeLessThanOrEqual(16);
    });
  });

  test('input order does not change the output', () => {
    const forward = synthIngest({ cameras: cameras(30) }).objects;
    const backward = synthIngest({ cameras: [...cameras(30)].reverse() }).objects;
    const byName = (objects: KubeObject[]) => [...objects].sort((x, y) => `${x.kind}/${x.metadata.name}`.localeCompare(`${y.kind}/${y.metadata.name}`));
    expect(byName(backward)).toEqual(byName(forward));
  });

  describe('refuses bad input', () => {
    test.each<[string, Partial<StreamIngestProps>, RegExp]>([
      ['no cameras', { cameras: [] }, /StreamIngest 'ingest': 'cameras' \(\[\]\) must be a list of at least one camera/],
      ['camerasPerShard 0', { camerasPerShard: 0 }, /StreamIngest 'ingest': 'camerasPerShard' \(0\) must be an integer >= 1/],
      ['fractional camerasPerShard', { camerasPerShard: 1.5 }, /'camerasPerShard' \(1.5\) must be an integer >= 1/],
      ['too few shards', { cameras: cameras(10), shards: 2, camerasPerShard: 4 }, /'shards' \(2\) must be at least 3 to hold 10 cameras at 4 per shard/],
      ['zero replicas', { replicasPerShard: 0 }, /'replicasPerShard' \(0\) must be an integer >= 1/],
      ['a bad name', { name: 'Ingest_A' }, /'name' \(Ingest_A\) must be a DNS-1035 label/],
      ['a cluster domain that is not a DNS name', { clusterDomain: 'Cluster_Local' }, /StreamIngest 'ingest': 'clusterDomain' \(Cluster_Local\) must be a DNS domain/],
      ['a PriorityClass name the API server refuses', { priorityClassName: 'Ingest Tier' }, /StreamIngest 'ingest': 'priorityClassName' \(Ingest Tier\) must be a PriorityClass name/],
      ['zero replicas per shard', { replicasPerShard: 0 }, /'replicasPerShard' \(0\) must be an integer >= 1/],
      ['a name too long for the shard suffix, with one limit', { name: 'i'.repeat(60) }, /'name' \(i{60}\) must be a DNS-1035 label of at most 50 characters \(it has 60\)\. Pass a 'name' such as 'ingest'\.$/],
      ['a bad namespace', { namespace: 'Video' }, /'namespace' \(Video\) must be a DNS-1123 label/],
      ['a bad API network', { apiAllowedNetworks: ['pods'] }, /'apiAllowedNetworks' \(pods\) must be an IP address or CIDR/],
      ['duplicate ids', { cameras: [cameras(1)[0], cameras(1)[0]] }, /'cameras\[1\]\.id' \(cam-000\) must be unique, but cameras\[0\] already uses it/],
      ['a malformed URL', { cameras: [{ id: 'a', url: 'rtsp//nohost' }] }, /'cameras\[0\]\.url' \(rtsp\/\/nohost\) must be a valid URL/],
      ['an http URL', { cameras: [{ id: 'a', url: 'http://10.0.0.1/stream' }] }, /must use scheme rtsp or rtsps/],
      ['credentials in the URL', { cameras: [{ id: 'a', url: 'rtsp://admin:hunter2@10.0.0.1/stream' }] }, /must not contain a username or password\. Store the username and password in a Kubernetes Secret/],
    ])('%s', (_title, props, message) => {
      expect(() => synthIngest({ cameras: cameras(3), ...props })).toThrow(message);
    });

    test('a password in a URL is never echoed', () => {
      expect(() => synthIngest({ cameras: [{ id: 'a', url: 'rtsp://admin:hunter2@10.0.0.1/stream' }] })).toThrow(/^((?!hunter2).)*$/s);
    });
  });
});

test('StreamIngest refuses an API network that is not an address or CIDR', () => {
  expect(() => new StreamIngest(testChart(), 'ingest', { namespace: 'va', cameras: [{ id: 'a', url: 'rtsp://10.0.0.1/x' }], apiAllowedNetworks: ['10.42.0.0/33'] }))
    .toThrow(/'apiAllowedNetworks' \(10.42.0.0\/33\) must be an IP address or CIDR/);
  expect(() => new StreamIngest(testChart(), 'ingest', { namespace: 'va', cameras: [{ id: 'a', url: 'rtsp://10.0.0.1/x' }], apiAllowedNetworks: ['10.42.0.7', 'fd00::/8'] })).not.toThrow();
});
