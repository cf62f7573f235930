import * as fc from 'fast-check';
import { Chart, Size } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import {
  ArgoCdApplication, ArgoCdApplicationProps, GPU_NODE_TAINT, K3sCluster, K3sClusterProps, K3sUpgradePlans, K3sUpgradePlansProps,
  KedaInstallation, KedaInstallationProps, LayerChart, PlatformNamespace, PlatformPriorities, PrivateRegistry, PrivateRegistryProps,
  RegistrySettings, RegistrySettingsProps, SYNC_WAVE_ANNOTATION, StreamIngest, Weekday,
} from '../../lib';
import { Cpu } from 'cdk8s-plus-27';
// Not yet exported from lib/index.ts.
import { EtcdS3Backup, EvictionThreshold } from '../../lib';
import { findObject, objectsOfKind, testApp } from '../_helpers';
import {
  appWithNamespaces, badDnsName, caseCounter, dnsLabel, expectValidAndCompliant, labelValue, namesProp, namesPropWithoutId, pinnedImage,
  resources, resourcesAboveLimit, unpinnedImage, yamlTrap,
} from '../_properties';

const RUNS = 40;
const NS = 'video-analytics';
const count = caseCounter();

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
const dnsName = fc.tuple(dnsLabel, fc.constantFrom('internal', 'example.com', 'site.local')).map(([name, domain]) => `${name}.${domain}`);
const host = fc.oneof(ipv4, dnsName);
const hostWithPort = fc.tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, p]) => (p ? `${h}:${p}` : h));
/** Object names (DNS-1123 subdomains), dotted or not. */
const objectName = fc.oneof(dnsLabel, fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `${a}.${b}`));
/** DNS labels, YAML traps included: node names such as `no` or `0755` must stay strings in the K3s config files. */
const nodeName = fc.oneof(dnsLabel, yamlTrap.map((trap) => trap.toLowerCase()).filter((trap) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(trap)));
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const fraction = fc.double({ min: 0.01, max: 10, noInteger: true, noNaN: true });

interface Invalid<P> {
  readonly prop: string;
  readonly props: Partial<P>;
}

// ---------------------------------------------------------------------------------------------
// Valid props
// ---------------------------------------------------------------------------------------------

describe('property: random valid props synthesize valid, compliant objects', () => {
  test('PrivateRegistry', () => {
    const props: fc.Arbitrary<PrivateRegistryProps> = fc.record({
      namespace: dnsLabel,
      tlsSecretName: objectName,
      htpasswdSecretName: objectName,
      storage: fc.option(fc.oneof(
        fc.integer({ min: 1, max: 500 }).map((gib) => Size.gibibytes(gib)),
        fc.integer({ min: 1024, max: 100_000 }).map((mib) => Size.mebibytes(mib)),
        fc.integer({ min: 1, max: 2 }).map((tib) => Size.tebibytes(tib)),
      ), { nil: undefined }),
      storageClassName: fc.option(fc.constantFrom('local-path', 'longhorn', 'fast.ssd'), { nil: undefined }),
      serviceType: fc.option(fc.constantFrom<'LoadBalancer' | 'NodePort'>('LoadBalancer', 'NodePort'), { nil: undefined }),
      // Tags after a registry port and digests once made an invalid version label.
      image: fc.option(pinnedImage, { nil: undefined }),
      resources: fc.option(resources, { nil: undefined }),
    });
    fc.assert(fc.property(props, (p) => {
      count('PrivateRegistry valid');
      const { app, chart } = appWithNamespaces(p.namespace);
      new PrivateRegistry(chart, 'registry', p);
      const objects = expectValidAndCompliant(app);
      const deployment = findObject(objects, 'Deployment', 'registry', p.namespace);
      expect(deployment.spec.template.spec.containers[0].image).toBe(p.image ?? 'registry:2.8.3');
      expect(findObject(objects, 'PersistentVolumeClaim', 'registry-store', p.namespace).spec.resources.requests.storage).toBe((p.storage ?? Size.gibibytes(100)).asString());
      expect(findObject(objects, 'Service', 'registry', p.namespace).spec.type).toBe(p.serviceType ?? 'LoadBalancer');
    }), { numRuns: RUNS });
  });

  test('K3sUpgradePlans', () => {
    const props: fc.Arbitrary<K3sUpgradePlansProps> = fc.record({
      version: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 20, max: 40 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 3 }))
        .map(([major, minor, patch, build]) => `v${major}.${minor}.${patch}+k3s${build}`),
      // Overnight windows (end before start) included: the system-upgrade-controller reads them past midnight.
      window: fc.option(fc.record({
        days: fc.subarray(Object.values(Weekday), { minLength: 1 }),
        startTime: hhmm,
        endTime: hhmm,
        timeZone: fc.option(fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'), { nil: undefined }),
      }).filter((w) => w.startTime !== w.endTime), { nil: undefined }),
      agentConcurrency: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
      namespace: fc.option(dnsLabel, { nil: undefined }),
    });
    fc.assert(fc.property(props, (p) => {
      count('K3sUpgradePlans valid');
      const { app, chart } = appWithNamespaces();
      new K3sUpgradePlans(chart, 'upgrades', p);
      const objects = expectValidAndCompliant(app);
      const namespace = p.namespace ?? 'system-upgrade';
      const [server, agent] = ['k3s-server', 'k3s-agent'].map((name) => findObject(objects, 'Plan', name, namespace));
      for (const plan of [server, agent]) {
        expect(plan.spec.version).toBe(p.version);
        expect(plan.spec.window).toEqual(p.window ? { ...p.window, timeZone: p.window.timeZone ?? 'UTC' } : undefined);
      }
      // Servers one at a time, to keep etcd's quorum; agents as many as asked.
      expect(server.spec.concurrency).toBe(1);
      expect(agent.spec.concurrency).toBe(p.agentConcurrency ?? 1);
    }), { numRuns: RUNS });
  });

  test('KedaInstallation', () => {
    const props: fc.Arbitrary<KedaInstallationProps> = fc.record({
      version: fc.option(fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 9 })).map((v) => v.join('.')), { nil: undefined }),
      namespace: fc.option(dnsLabel, { nil: undefined }),
    });
    fc.assert(fc.property(props, (p) => {
      count('KedaInstallation valid');
      const { app, chart } = appWithNamespaces();
      const keda = new KedaInstallation(chart, 'keda', p);
      const objects = expectValidAndCompliant(app);
      const helm = findObject(objects, 'HelmChart', 'keda', 'kube-system');
      expect(helm.spec.targetNamespace).toBe(keda.namespace);
      expect(helm.spec.version).toBe(p.version ?? '2.20.2');
      expect(findObject(objects, 'Namespace', keda.namespace).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    }), { numRuns: RUNS });
  });

  test('ArgoCdApplication', () => {
    const repoUrl = fc.oneof(
      fc.tuple(dnsName, dnsLabel, dnsLabel).map(([h, org, repo]) => `https://${h}/${org}/${repo}.git`),
      fc.tuple(dnsName, dnsLabel, dnsLabel).map(([h, org, repo]) => `ssh://git@${h}/${org}/${repo}.git`),
      fc.tuple(dnsName, dnsLabel, dnsLabel).map(([h, org, repo]) => `git@${h}:${org}/${repo}.git`),
    );
    const props: fc.Arbitrary<ArgoCdApplicationProps> = fc.record({
      repoUrl,
      targetRevision: fc.option(fc.oneof(fc.constantFrom('main', 'HEAD', 'v1.2.3', 'release/2024'), fc.stringMatching(/^[0-9a-f]{40}$/)), { nil: undefined }),
      path: fc.option(fc.constantFrom('dist', 'deploy/dist', 'clusters/edge-1/dist'), { nil: undefined }),
      name: fc.option(objectName, { nil: undefined }),
      namespace: fc.option(dnsLabel, { nil: undefined }),
      project: fc.option(dnsLabel, { nil: undefined }),
      autoscaled: fc.option(fc.array(fc.record({ kind: fc.constantFrom('Deployment', 'StatefulSet'), namespace: dnsLabel, name: objectName }), { maxLength: 4 }), { nil: undefined }),
    });
    fc.assert(fc.property(props, (p) => {
      count('ArgoCdApplication valid');
      const { app, chart } = appWithNamespaces(p.namespace ?? 'argocd');
      new ArgoCdApplication(chart, 'argocd-app', p);
      const objects = expectValidAndCompliant(app);
      const application = findObject(objects, 'Application', p.name ?? 'video-analytics', p.namespace ?? 'argocd');
      expect(application.spec.source).toEqual({ repoURL: p.repoUrl, targetRevision: p.targetRevision ?? 'main', path: p.path ?? 'dist', directory: { include: '*.k8s.yaml' } });
      // Every autoscaled workload, in a stable order, has its replicas ignored.
      const ignored = (application.spec.ignoreDifferences ?? []).map((d: any) => `${d.namespace}/${d.name}`);
      expect(ignored).toEqual((p.autoscaled ?? []).map((w) => `${w.namespace}/${w.name}`).sort());
    }), { numRuns: RUNS });
  });

  test('PlatformPriorities', () => {
    fc.assert(fc.property(dnsLabel, (id) => {
      count('PlatformPriorities valid');
      const { app, chart } = appWithNamespaces();
      new PlatformPriorities(chart, id);
      const objects = expectValidAndCompliant(app);
      const value = (name: string): number => findObject(objects, 'PriorityClass', name).value;
      // Ingest outranks analysis, which outranks batch; all stay far below the cluster's own classes.
      expect(value(PlatformPriorities.INGEST)).toBeGreaterThan(value(PlatformPriorities.ANALYSIS));
      expect(value(PlatformPriorities.ANALYSIS)).toBeGreaterThan(value(PlatformPriorities.BATCH));
      expect(value(PlatformPriorities.INGEST)).toBeLessThan(1_000_000_000);
      expect(objectsOfKind(objects, 'PriorityClass').every((c) => c.globalDefault === false)).toBe(true);
      expect(findObject(objects, 'PriorityClass', PlatformPriorities.BATCH).preemptionPolicy).toBe('Never');
    }), { numRuns: RUNS });
  });

  test('RegistrySettings', () => {
    const settings: fc.Arbitrary<RegistrySettingsProps> = fc.record({
      mirror: fc.option(hostWithPort, { nil: undefined }),
      imagePullSecrets: fc.option(fc.uniqueArray(objectName, { maxLength: 3 }), { nil: undefined }),
    });
    fc.assert(fc.property(settings, fc.constantFrom('bluenviron/mediamtx:1.19.3', 'registry.example.com/media/mediamtx:1.19.3'), (s, image) => {
      count('RegistrySettings valid');
      const app = testApp();
      RegistrySettings.apply(app, s);
      const chart = new Chart(app, 'chart');
      new PlatformNamespace(chart, 'ns', { name: NS });
      new StreamIngest(chart, 'ingest', { namespace: NS, image, cameras: [{ id: 'cam-1', url: 'rtsp://10.0.0.1/live', credentials: { secretName: 'cameras' } }] });
      const objects = expectValidAndCompliant(app);
      const pods = objectsOfKind(objects, 'Deployment').map((d) => d.spec.template.spec);
      expect(pods.length).toBeGreaterThan(0);
      for (const pod of pods) {
        for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
          if (s.mirror) expect(container.image.startsWith(`${s.mirror}/`)).toBe(true);
        }
        const secrets = s.imagePullSecrets ?? [];
        expect(pod.imagePullSecrets).toEqual(secrets.length > 0 ? secrets.map((name) => ({ name })) : undefined);
      }
    }), { numRuns: RUNS });
  });

  test('LayerChart', () => {
    // 1-5 layers; each depends on some earlier ones and has a wave at least as high as theirs.
    const layers = fc.uniqueArray(fc.tuple(dnsLabel, fc.integer({ min: 0, max: 99 }), fc.array(fc.nat(), { maxLength: 3 })), { minLength: 1, maxLength: 5, selector: ([id]) => id })
      .map((drawn) => {
        const result: Array<{ id: string; wave: number; dependsOn: number[] }> = [];
        drawn.forEach(([id, wave, picks], i) => {
          const dependsOn = i === 0 ? [] : [...new Set(picks.map((pick) => pick % i))];
          result.push({ id, wave: Math.max(wave, ...dependsOn.map((d) => result[d].wave)), dependsOn });
        });
        return result;
      });
    fc.assert(fc.property(layers, (specs) => {
      count('LayerChart valid');
      const app = testApp();
      const charts: LayerChart[] = [];
      specs.forEach(({ wave, dependsOn, id }, i) => {
        const chart = new LayerChart(app, id, { wave, dependsOn: dependsOn.map((d) => charts[d]) });
        new PlatformNamespace(chart, 'ns', { name: `layer-${i}` });
        charts.push(chart);
      });
      expectValidAndCompliant(app);
      charts.forEach((chart, i) => {
        for (const object of chart.toJson()) expect(object.metadata.annotations[SYNC_WAVE_ANNOTATION]).toBe(String(specs[i].wave));
      });
      // Files are named after the chart ids: sorted by name, as kubectl apply -f dist/ reads them, the waves never go down.
      const waves = [...charts].sort((a, b) => (a.node.id < b.node.id ? -1 : 1)).map((c) => c.wave);
      expect(waves).toEqual([...waves].sort((a, b) => a - b));
    }), { numRuns: RUNS });
  });

  test('K3sCluster: config files parse back the same under YAML 1.1 and 1.2, and shared settings match', () => {
    const cluster = fc.tuple(fc.constantFrom(3, 5, 7), fc.integer({ min: 0, max: 3 })).chain(([servers, agents]) => fc.record({
      names: fc.uniqueArray(nodeName, { minLength: servers + agents, maxLength: servers + agents }),
      addresses: fc.array(host, { minLength: servers + agents, maxLength: servers + agents }),
      gpus: fc.array(fc.record({ gpus: fc.integer({ min: 1, max: 8 }), product: fc.option(labelValue.filter((v) => v !== ''), { nil: undefined }) }), { minLength: agents, maxLength: agents }),
      apiEndpoint: host,
      tokenFile: fc.option(fc.constantFrom('/etc/rancher/k3s/cluster-token', '/run/secrets/k3s-token'), { nil: undefined }),
      network: fc.option(fc.constant({ clusterCidr: '10.52.0.0/16', serviceCidr: '10.53.0.0/16', clusterDns: '10.53.0.10' }), { nil: undefined }),
      clusterDomain: fc.option(fc.constantFrom('cluster.local', 'edge.internal'), { nil: undefined }),
      disable: fc.option(fc.subarray(['coredns', 'servicelb', 'traefik', 'local-storage', 'metrics-server', 'runtimes']), { nil: undefined }),
      registryMirror: fc.option(fc.record({
        host: hostWithPort,
        caFile: fc.option(fc.constant('/etc/ssl/registry-ca.pem'), { nil: undefined }),
        mirrored: fc.option(fc.subarray(['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io'], { minLength: 1 }), { nil: undefined }),
      }), { nil: undefined }),
      embeddedRegistry: fc.option(fc.boolean(), { nil: undefined }),
      cisHardening: fc.option(fc.boolean(), { nil: undefined }),
      privilegedNamespaces: fc.option(fc.uniqueArray(dnsLabel, { maxLength: 4 }), { nil: undefined }),
      k3sVersion: fc.option(fc.constantFrom('v1.29.12+k3s1', 'v1.30.4+k3s1', 'v1.31.4+k3s1'), { nil: undefined }),
      etcdSnapshots: fc.option(fc.record({
        scheduleCron: fc.option(fc.constantFrom('0 */6 * * *', '15 2 * * *', '*/30 * * * MON-FRI', '0 0,12 1-15 JAN-JUN ?', '@daily'), { nil: undefined }),
        retention: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        compress: fc.option(fc.boolean(), { nil: undefined }),
        s3: fc.option(fc.oneof(
          dnsLabel.map((name) => EtcdS3Backup.fromSecret(name)),
          fc.record({
            endpoint: hostWithPort,
            bucket: dnsLabel.filter((b) => b.length >= 3),
            folder: fc.option(fc.tuple(dnsLabel, fc.option(dnsLabel, { nil: undefined })).map(([a, b]) => (b ? `${a}/${b}` : a)), { nil: undefined }),
            region: fc.option(fc.constantFrom('us-east-1', 'eu-central-1', 'garage'), { nil: undefined }),
          }).map((bucket) => EtcdS3Backup.toBucket(bucket)),
        ), { nil: undefined }),
      }), { nil: undefined }),
      kubeletReservations: fc.option(fc.record({
        systemReserved: fc.option(fc.record({ cpu: fc.integer({ min: 0, max: 2000 }).map((m) => Cpu.millis(m)), memory: fc.integer({ min: 0, max: 4096 }).map((m) => Size.mebibytes(m)) }), { nil: undefined }),
        agentKubeReserved: fc.option(fc.record({ memory: fc.integer({ min: 1, max: 8 }).map((g) => Size.gibibytes(g)) }), { nil: undefined }),
        evictionHard: fc.option(fc.record({
          memoryAvailable: fc.option(fc.oneof(fc.integer({ min: 1, max: 99 }).map((p) => EvictionThreshold.percent(p)), fc.integer({ min: 1, max: 4096 }).map((m) => EvictionThreshold.size(Size.mebibytes(m)))), { nil: undefined }),
          nodefsInodesFree: fc.option(fc.integer({ min: 1, max: 99 }).map((p) => EvictionThreshold.percent(p)), { nil: undefined }),
        }), { nil: undefined }),
      }), { nil: undefined }),
    }).map(({ names, addresses, gpus, network, ...rest }): K3sClusterProps => ({
      ...rest,
      ...network,
      servers: names.slice(0, servers).map((name, i) => ({ name, address: addresses[i] })),
      gpuAgents: names.slice(servers).map((name, i) => ({ name, address: addresses[servers + i], ...gpus[i] })),
    })));
    fc.assert(fc.property(cluster, (props) => {
      count('K3sCluster valid');
      const files = new K3sCluster(props).files();
      const nodes = [...props.servers, ...props.gpuAgents!];
      const embedded = props.embeddedRegistry ?? true;
      const hardened = props.cisHardening ?? true;
      expect(Object.keys(files).sort()).toEqual([
        ...nodes.map((n) => `${n.name}/config.yaml`),
        ...(props.registryMirror || embedded ? ['registries.yaml'] : []),
        ...(hardened ? ['hardening/90-kubelet.conf', 'hardening/audit.yaml', 'hardening/psa.yaml'] : []),
      ].sort());
      // K3s and the API server read these files with YAML 1.1 parsers: every value must mean the same there.
      const parsed = Object.fromEntries(Object.entries(files).filter(([file]) => file.endsWith('.yaml')).map(([file, text]) => {
        const modern = parseYaml(text);
        expect(parseYaml(text, { version: '1.1' })).toEqual(modern);
        return [file, modern];
      }));
      const [first, ...others] = props.servers.map((s) => parsed[`${s.name}/config.yaml`]);
      const shared = (config: any): any => ({ ...config, 'cluster-init': undefined, 'server': undefined, 'node-name': undefined, 'node-ip': undefined });
      expect(first['cluster-init']).toBe(true);
      expect(first['tls-san']).toEqual([props.apiEndpoint]);
      expect(first['embedded-registry']).toBe(embedded ? true : undefined);
      expect(first['protect-kernel-defaults']).toBe(hardened ? true : undefined);
      expect(first['etcd-snapshot-retention']).toBe(props.etcdSnapshots?.retention ?? 28);
      // No key anywhere: K3s reads them from a Secret or a file on the node.
      expect(Object.values(files).join('\n')).not.toMatch(/etcd-s3-(access|secret)-key/);
      if (hardened) {
        const exempt = parsed['hardening/psa.yaml'].plugins.find((plugin: any) => plugin.name === 'PodSecurity').configuration.exemptions.namespaces;
        expect(exempt).toEqual([...new Set(['kube-system', ...(props.privilegedNamespaces ?? [])])].sort());
      }
      for (const [i, config] of others.entries()) {
        // The fixed registration address, never the first server's own.
        expect(config.server).toBe(`https://${props.apiEndpoint}:6443`);
        expect(shared(config)).toEqual(shared(first));
        expect(config['node-name']).toBe(props.servers[i + 1].name);
      }
      for (const agent of props.gpuAgents!) {
        const config = parsed[`${agent.name}/config.yaml`];
        expect(config['node-name']).toBe(agent.name);
        // K3s takes node-ip as an IP address only; an agent given by DNS name has none.
        expect(config['node-ip']).toBe(/^\d{1,3}(\.\d{1,3}){3}$/.test(agent.address) ? agent.address : undefined);
        expect(config['token-file']).toBe(first['token-file']);
        expect(config['node-taint']).toEqual([GPU_NODE_TAINT]);
        expect(config['node-label']).toEqual(['nvidia.com/gpu.present=true', `nvidia.com/gpu.count=${agent.gpus}`, ...(agent.product ? [`nvidia.com/gpu.product=${agent.product}`] : [])]);
        expect(config.server).toBe(`https://${props.apiEndpoint}:6443`);
        // A server flag: agents refuse it.
        expect(config).not.toHaveProperty('embedded-registry');
      }
      const mirrored = props.registryMirror ? props.registryMirror.mirrored ?? ['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io'] : [];
      if (props.registryMirror || embedded) {
        const registries = parsed['registries.yaml'];
        for (const [registry, entry] of Object.entries(registries.mirrors)) {
          expect(entry).toEqual(mirrored.includes(registry) ? { endpoint: [`https://${props.registryMirror!.host}`] } : {});
        }
        if (embedded) {
          expect(Object.keys(registries.mirrors)).toEqual(expect.arrayContaining(['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io', ...(props.registryMirror ? [props.registryMirror.host] : [])]));
        } else {
          expect(Object.keys(registries.mirrors).sort()).toEqual([...mirrored].sort());
        }
        expect(Object.keys(registries.configs ?? {})).toEqual(props.registryMirror ? [props.registryMirror.host] : []);
      }
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// Invalid props
// ---------------------------------------------------------------------------------------------

describe('property: random invalid props throw an error that names the prop', () => {
  test('PrivateRegistry', () => {
    const invalid: fc.Arbitrary<Invalid<PrivateRegistryProps>> = fc.oneof(
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
      badDnsName.map((tlsSecretName) => ({ prop: 'tlsSecretName', props: { tlsSecretName } })),
      badDnsName.map((htpasswdSecretName) => ({ prop: 'htpasswdSecretName', props: { htpasswdSecretName } })),
      fc.integer({ min: 0, max: 1_048_575 }).map((kib) => ({ prop: 'storage', props: { storage: Size.kibibytes(kib) } })),
      badDnsName.map((storageClassName) => ({ prop: 'storageClassName', props: { storageClassName } })),
      unpinnedImage.map((image) => ({ prop: 'image', props: { image } })),
      resourcesAboveLimit('resources').map(({ prop, value }) => ({ prop, props: { resources: value } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('PrivateRegistry invalid');
      const { chart } = appWithNamespaces();
      expect(() => new PrivateRegistry(chart, 'registry', { namespace: 'registry', tlsSecretName: 'registry-tls', htpasswdSecretName: 'registry-auth', ...props }))
        .toThrow(namesProp('PrivateRegistry', 'registry', prop));
    }), { numRuns: RUNS });
  });

  test('K3sUpgradePlans', () => {
    const window = { days: [Weekday.SATURDAY], startTime: '02:00', endTime: '05:00' };
    const badTime = fc.constantFrom('24:00', '2:00', '02:60', '0200', '2am', '', '02:00:00');
    const invalid: fc.Arbitrary<Invalid<K3sUpgradePlansProps>> = fc.oneof(
      fc.constantFrom('1.30.4', 'v1.30', 'v1.30.4', 'v1.30.4-k3s1', 'v1.30.4+rke2r1', 'latest', 'stable', '').map((version) => ({ prop: 'version', props: { version } })),
      fc.oneof(fc.integer({ max: 0 }), fraction).map((agentConcurrency) => ({ prop: 'agentConcurrency', props: { agentConcurrency } })),
      badTime.map((startTime) => ({ prop: 'window.startTime', props: { window: { ...window, startTime } } })),
      badTime.map((endTime) => ({ prop: 'window.endTime', props: { window: { ...window, endTime } } })),
      fc.constant({ prop: 'window.days', props: { window: { ...window, days: [] } } }),
      hhmm.map((time) => ({ prop: 'window.endTime', props: { window: { ...window, startTime: time, endTime: time } } })),
      fc.constantFrom('Mars/Olympus', 'Europe/Atlantis', 'not a zone', '').map((timeZone) => ({ prop: 'window.timeZone', props: { window: { ...window, timeZone } } })),
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('K3sUpgradePlans invalid');
      const { chart } = appWithNamespaces();
      expect(() => new K3sUpgradePlans(chart, 'upgrades', { version: 'v1.30.4+k3s1', ...props })).toThrow(namesProp('K3sUpgradePlans', 'upgrades', prop));
    }), { numRuns: RUNS });
  });

  test('KedaInstallation', () => {
    const invalid: fc.Arbitrary<Invalid<KedaInstallationProps>> = fc.oneof(
      fc.constantFrom('2.x', '2.20', 'v2.20.2', '^2.20.2', '~2.20.2', '2.20.2-rc1', 'latest', '').map((version) => ({ prop: 'version', props: { version } })),
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('KedaInstallation invalid');
      const { chart } = appWithNamespaces();
      expect(() => new KedaInstallation(chart, 'keda', props)).toThrow(namesProp('KedaInstallation', 'keda', prop));
    }), { numRuns: RUNS });
  });

  test('ArgoCdApplication', () => {
    const invalid: fc.Arbitrary<Invalid<ArgoCdApplicationProps>> = fc.oneof(
      fc.constantFrom('git.example.com/platform', 'http://git.example.com/x.git', 'ftp://git.example.com/x', 'https://', 'https://has space/x.git', '')
        .map((repoUrl) => ({ prop: 'repoUrl', props: { repoUrl } })),
      badDnsName.map((name) => ({ prop: 'name', props: { name } })),
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
      badDnsName.map((project) => ({ prop: 'project', props: { project } })),
      badDnsName.map((namespace) => ({ prop: 'autoscaled[0].namespace', props: { autoscaled: [{ kind: 'Deployment', namespace, name: 'detector' }] } })),
      badDnsName.map((name) => ({ prop: 'autoscaled[0].name', props: { autoscaled: [{ kind: 'Deployment', namespace: NS, name }] } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('ArgoCdApplication invalid');
      const { chart } = appWithNamespaces();
      expect(() => new ArgoCdApplication(chart, 'argocd-app', { repoUrl: 'https://git.example.com/platform/video-analytics.git', ...props }))
        .toThrow(namesProp('ArgoCdApplication', 'argocd-app', prop));
    }), { numRuns: RUNS });
  });

  test('RegistrySettings', () => {
    const invalid: fc.Arbitrary<Invalid<RegistrySettingsProps>> = fc.oneof(
      fc.constantFrom('https://registry.example.com', 'Registry.Example.com', 'registry.example.com:99999', 'registry.example.com:0', 'registry.example.com/mirror', 'registry:', '', '-registry')
        .map((mirror) => ({ prop: 'mirror', props: { mirror } })),
      badDnsName.map((secret) => ({ prop: 'imagePullSecrets', props: { imagePullSecrets: ['mirror-pull', secret] } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('RegistrySettings invalid');
      // RegistrySettings is not a construct: its messages have no id.
      expect(() => RegistrySettings.apply(testApp(), props)).toThrow(namesPropWithoutId('RegistrySettings', prop));
    }), { numRuns: RUNS });
  });

  test('LayerChart', () => {
    const invalid = fc.oneof(
      // Lower than a dependency's wave: the message names the chart by its node id, the wave-prefixed file name.
      fc.integer({ min: 1, max: 99 }).chain((base) => fc.integer({ min: 0, max: base - 1 }).map((wave) => ({ base, wave, id: `${String(wave).padStart(2, '0')}-layer` }))),
      // Outside 0-99 or not a whole number: no file name, and Argo CD could not read the wave.
      fc.oneof(fc.integer({ min: -1000, max: -1 }), fc.integer({ min: 100, max: 100_000 }), fraction, fc.constantFrom(NaN, Infinity, -Infinity))
        .map((wave) => ({ base: undefined, wave, id: 'layer' })),
    );
    fc.assert(fc.property(invalid, ({ base, wave, id }) => {
      count('LayerChart invalid');
      const app = testApp();
      const dependsOn = base === undefined ? [] : [new LayerChart(app, 'base', { wave: base })];
      expect(() => new LayerChart(app, 'layer', { wave, dependsOn })).toThrow(namesProp('LayerChart', id, 'wave'));
    }), { numRuns: RUNS });
  });

  test('K3sCluster', () => {
    const servers = [1, 2, 3].map((i) => ({ name: `server-${i}`, address: `10.0.0.1${i}` }));
    const agent = { name: 'gpu-1', address: '10.0.1.21', gpus: 1 };
    const invalid: fc.Arbitrary<Invalid<K3sClusterProps>> = fc.oneof(
      fc.constantFrom(0, 2, 4, 6).map((n) => ({ prop: 'servers', props: { servers: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, address: `10.0.0.${i + 1}` })) } })),
      fc.tuple(fc.integer({ min: 0, max: 2 }), badDnsName).map(([i, name]) => ({ prop: `servers[${i}].name`, props: { servers: servers.map((s, j) => (j === i ? { ...s, name } : s)) } })),
      fc.constantFrom('server-1', 'server-3').map((name) => ({ prop: 'gpuAgents[0].name', props: { gpuAgents: [{ ...agent, name }] } })),
      fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('256.0.0.1', '10.0.0', 'Server.local', 'has space', '')).map(([i, address]) => ({ prop: `servers[${i}].address`, props: { servers: servers.map((s, j) => (j === i ? { ...s, address } : s)) } })),
      fc.oneof(fc.integer({ max: 0 }), fraction).map((gpus) => ({ prop: 'gpuAgents.gpu-1.gpus', props: { gpuAgents: [{ ...agent, gpus }] } })),
      fc.constantFrom('NVIDIA A2', 'NVIDIA/A2', '-A2', 'a'.repeat(64)).map((product) => ({ prop: 'gpuAgents.gpu-1.product', props: { gpuAgents: [{ ...agent, product }] } })),
      fc.constantFrom('https://k3s.example.com', 'K3s.Example.com', '300.1.1.1', '').map((apiEndpoint) => ({ prop: 'apiEndpoint', props: { apiEndpoint } })),
      fc.constantFrom('nginx', 'Traefik', 'kube-proxy', '').map((component) => ({ prop: 'disable', props: { disable: ['traefik', component] } })),
      fc.constantFrom('', '* * * *', '0 24 * * *', '0 0 32 * *', '0 0 * 13 *', '0 0 * * 8', '*/0 * * * *', 'every day', '@often')
        .map((scheduleCron) => ({ prop: 'etcdSnapshots.scheduleCron', props: { etcdSnapshots: { scheduleCron } } })),
      fc.oneof(fc.integer({ max: 0 }), fraction).map((retention) => ({ prop: 'etcdSnapshots.retention', props: { etcdSnapshots: { retention } } })),
      fc.constantFrom('https://minio.internal', 'minio.internal/path', 'minio.internal:0', 'key:secret@minio.internal', '')
        .map((endpoint) => ({ prop: 'etcdSnapshots.s3.endpoint', props: { etcdSnapshots: { s3: EtcdS3Backup.toBucket({ endpoint, bucket: 'etcd-snapshots' }) } } })),
      fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 100, noNaN: true }), fc.constant(NaN))
        .map((p) => ({ prop: 'kubeletReservations.evictionHard.nodefsAvailable', props: { kubeletReservations: { evictionHard: { nodefsAvailable: EvictionThreshold.percent(p) } } } })),
      fc.integer({ min: -4000, max: -1 }).map((m) => ({ prop: 'kubeletReservations.serverKubeReserved.cpu', props: { kubeletReservations: { serverKubeReserved: { cpu: Cpu.millis(m) } } } })),
      badDnsName.map((namespace) => ({ prop: 'privilegedNamespaces', props: { privilegedNamespaces: ['gpu-system', namespace] } })),
      fc.constantFrom('1.30.4', 'v1.30', 'latest', 'v1.30.4+rke2r1').map((k3sVersion) => ({ prop: 'k3sVersion', props: { k3sVersion } })),
      fc.constantFrom('v1.26.12+k3s1', 'v1.27.9+k3s1', 'v1.28.5+k3s1', 'v1.29.0+k3s1', 'v1.25.16+k3s4').map((k3sVersion) => ({ prop: 'embeddedRegistry', props: { k3sVersion } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('K3sCluster invalid');
      // K3sCluster is not a construct: its messages have no id.
      expect(() => new K3sCluster({ servers, apiEndpoint: 'k3s-api.site.internal', ...props })).toThrow(namesPropWithoutId('K3sCluster', prop));
    }), { numRuns: RUNS });
  });
});
