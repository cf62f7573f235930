import { Chart, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PlatformPriorities, ScopeSettings } from '../../lib';
import {
  ContainerOptions, PodOptions, PriorityTier, SINGLE_REPLICA_REASON_ANNOTATION, buildPodSpec, newDeployment, newServiceAccount, scopedImage, scopedPriorityClass,
} from '../../lib/synth/pod/builder';
import { DEFAULT_EPHEMERAL_STORAGE, FullResources, checkResources, mergeResources, toResourceRequirements } from '../../lib/synth/pod/resources';
import { testApp } from '../_helpers';

describe('ScopeSettings', () => {
  test('an inner scope overrides the outer one field by field', () => {
    const app = testApp();
    ScopeSettings.apply(app, { mirror: 'outer.example:5000', imagePullSecrets: ['outer'], priorityClasses: PlatformPriorities.CLASS_NAMES });
    const inner = new Construct(app, 'inner');
    ScopeSettings.apply(inner, { mirror: 'inner.example:5000', clusterDomain: 'edge.internal' });
    const leaf = new Construct(inner, 'leaf');
    expect(ScopeSettings.of(leaf)).toEqual({
      mirror: 'inner.example:5000', imagePullSecrets: ['outer'], priorityClasses: PlatformPriorities.CLASS_NAMES, clusterDomain: 'edge.internal',
    });
    expect(ScopeSettings.clusterDomain(new Construct(app, 'other'))).toBe('cluster.local');
    expect(scopedImage(leaf, 'nvcr.io/nvidia/tritonserver:24.08-py3')).toBe('inner.example:5000/nvidia/tritonserver:24.08-py3');
    expect(scopedPriorityClass(leaf, PriorityTier.PLATFORM)).toBe(PlatformPriorities.PLATFORM);
    expect(scopedPriorityClass(leaf, PriorityTier.INGEST, 'own-class')).toBe('own-class');
  });

  test('is refused on a scope that already holds constructs, naming them, instead of failing inside cdk8s', () => {
    const app = testApp();
    new Chart(app, 'edge');
    expect(() => ScopeSettings.apply(app, { mirror: 'mirror.example:5000' }))
      .toThrow(/ScopeSettings 'app': 'scope' \(already holds edge\) must be a scope with no constructs under it yet\. Apply the settings first/);
  });

  test.each<[string, object, RegExp]>([
    ['a mirror with a scheme', { mirror: 'https://mirror.example' }, /'mirror' \(https:\/\/mirror\.example\) must be a registry host with an optional port/],
    ['a pull secret that is not a Secret name', { imagePullSecrets: ['Pull Secret'] }, /'imagePullSecrets\[0\]' \(Pull Secret\) must be a Secret name/],
    ['a PriorityClass that is not a name', { priorityClasses: { ...PlatformPriorities.CLASS_NAMES, batch: 'Batch!' } }, /'priorityClasses\.batch' \(Batch!\) must be a PriorityClass name/],
    ['a cluster domain that is not a DNS name', { clusterDomain: 'Cluster_Local' }, /'clusterDomain' \(Cluster_Local\) must be a DNS domain/],
  ])('refuses %s', (_title, props, error) => {
    expect(() => ScopeSettings.apply(testApp(), props)).toThrow(error);
  });

  test('the builder gives every pod the token only when it says why, and the restricted context unless a privilege is named', () => {
    const chart = new Chart(testApp(), 'pods');
    const quiet = newServiceAccount(chart, 'quiet', { metadata: { name: 'quiet' } });
    const reader = newServiceAccount(chart, 'reader', { metadata: { name: 'reader' }, readsApiBecause: 'it lists pods' });
    const container = { name: 'c', image: 'busybox:1.36.1', resources: {} };
    const spec = (serviceAccount: typeof quiet, privileged?: { reason: string; containerSecurityContext: object }) =>
      buildPodSpec(chart, { serviceAccount, tier: PriorityTier.BATCH, containers: [container], privileged });
    expect(spec(quiet).automountServiceAccountToken).toBe(false);
    expect(spec(reader).automountServiceAccountToken).toBe(true);
    expect(spec(quiet).securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
    expect(spec(quiet).containers[0]).toEqual(expect.objectContaining({ imagePullPolicy: 'IfNotPresent', securityContext: expect.objectContaining({ allowPrivilegeEscalation: false }) }));
    const privileged = spec(quiet, { reason: 'reads host devices', containerSecurityContext: { privileged: true } });
    expect(privileged.securityContext).toBeUndefined();
    expect(privileged.containers[0].securityContext).toEqual({ privileged: true });
    expect(spec(quiet).priorityClassName).toBeUndefined();
  });
});

describe('the pod builder and node disk', () => {
  const q = (value: string) => k8s.Quantity.fromString(value);
  const chart = () => new Chart(testApp(), 'pods');
  const container = (name: string, extra: Partial<ContainerOptions> = {}): ContainerOptions =>
    ({ name, image: 'busybox:1.36.1', resources: { requests: { cpu: q('10m') }, limits: { cpu: q('100m') } }, ...extra });
  const spec = (scope: Construct, options: Partial<PodOptions>) => buildPodSpec(scope, {
    serviceAccount: newServiceAccount(scope, `account-${scope.node.children.length}`, { metadata: { name: 'pods' } }), tier: PriorityTier.BATCH, containers: [container('main')], ...options,
  });
  const ephemeral = (c: k8s.Container) => ({ request: c.resources?.requests?.['ephemeral-storage']?.value, limit: c.resources?.limits?.['ephemeral-storage']?.value });

  test('gives a container that states no ephemeral storage the default, keeping the rest of its resources', () => {
    expect(DEFAULT_EPHEMERAL_STORAGE.request.asString()).toBe('64Mi');
    expect(DEFAULT_EPHEMERAL_STORAGE.limit.asString()).toBe('512Mi');
    const [main] = spec(chart(), {}).containers;
    expect(ephemeral(main)).toEqual({ request: '64Mi', limit: '512Mi' });
    expect(main.resources?.requests?.cpu?.value).toBe('10m');
  });

  test('raises the default limit by the disk-backed emptyDirs a container is the first to mount, since the kubelet counts them against the pod', () => {
    const pod = spec(chart(), {
      volumes: [
        { name: 'models', emptyDir: { sizeLimit: q('2Gi') } },
        // Only an init container mounts it: the first container is charged, since init containers' limits do not add up.
        { name: 'scratch', emptyDir: { sizeLimit: q('1Gi') } },
        { name: 'tmp', emptyDir: { sizeLimit: q('512Mi') } },
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: q('1Gi') } },
        { name: 'unused', emptyDir: { sizeLimit: q('1Gi') } },
      ],
      initContainers: [container('load', { volumeMounts: [{ name: 'models', mountPath: '/models' }, { name: 'scratch', mountPath: '/scratch' }] })],
      containers: [
        container('server', { volumeMounts: [{ name: 'models', mountPath: '/models' }, { name: 'tmp', mountPath: '/tmp' }, { name: 'shm', mountPath: '/dev/shm' }] }),
        container('sidecar', { volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }),
      ],
    });
    expect(ephemeral(pod.containers[0])).toEqual({ request: '64Mi', limit: '4Gi' });
    expect(ephemeral(pod.containers[1])).toEqual({ request: '64Mi', limit: '512Mi' });
    expect(ephemeral(pod.initContainers![0])).toEqual({ request: '64Mi', limit: '512Mi' });
  });

  test('keeps what a container states, part by part', () => {
    const stated = container('main', { resources: { requests: { 'ephemeral-storage': q('1Gi') }, limits: { 'ephemeral-storage': q('4Gi') } } });
    expect(ephemeral(spec(chart(), { containers: [stated] }).containers[0])).toEqual({ request: '1Gi', limit: '4Gi' });
    const limitOnly = container('main', { resources: { limits: { 'ephemeral-storage': q('2Gi') } } });
    expect(ephemeral(spec(chart(), { containers: [limitOnly] }).containers[0])).toEqual({ request: '64Mi', limit: '2Gi' });
  });

  test('refuses a request above the limit, naming the container', () => {
    const scope = new Construct(chart(), 'detector');
    const tooMuch = container('main', { resources: { requests: { 'ephemeral-storage': q('1Gi') } } });
    expect(() => spec(scope, { containers: [tooMuch] }))
      .toThrow("Construct 'pods/detector': 'containers[main].resources.requests.ephemeral-storage' (1Gi) must be at most its limit (512Mi). Lower the request or raise the limit.");
  });

  test('refuses an emptyDir without a size, naming the volume', () => {
    const scope = new Construct(chart(), 'detector');
    expect(() => spec(scope, { volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }] }))
      .toThrow(/^Construct 'pods\/detector': 'volumes\[cache\]\.emptyDir\.sizeLimit' \(undefined\) must be set: an emptyDir without a size limit can fill the node's disk .* Give the emptyDir 'cache' a sizeLimit/);
    expect(() => spec(scope, { volumes: [{ name: 'cache', emptyDir: { sizeLimit: q('64Mi') } }, { name: 'config', configMap: { name: 'c' } }] })).not.toThrow();
  });

  test('resources stated with FullResources carry ephemeral storage when given, and a partial override keeps the default for the other part', () => {
    const base: FullResources = { cpu: { request: Cpu.millis(10), limit: Cpu.millis(100) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) } };
    expect(toResourceRequirements(base).requests).not.toHaveProperty(['ephemeral-storage']);
    const merged = mergeResources(base, { ephemeralStorage: { limit: Size.gibibytes(2) } });
    expect(merged.ephemeralStorage).toEqual({ request: DEFAULT_EPHEMERAL_STORAGE.request, limit: Size.gibibytes(2) });
    const requirements = toResourceRequirements(merged);
    expect([requirements.requests?.['ephemeral-storage']?.value, requirements.limits?.['ephemeral-storage']?.value]).toEqual(['64Mi', '2Gi']);
    expect(mergeResources(base, undefined).ephemeralStorage).toBeUndefined();
    expect(() => checkResources('Thing', 'thing', 'resources', mergeResources(base, { ephemeralStorage: { request: Size.gibibytes(1) } })))
      .toThrow("Thing 'thing': 'resources.ephemeralStorage.request' (1Gi) must be at most the ephemeral-storage limit (512Mi). Lower the request or raise the limit.");
  });

  test('records why a Deployment runs one replica, and refuses an empty reason', () => {
    const scope = chart();
    const account = newServiceAccount(scope, 'account', { metadata: { name: 'pods' } });
    const props = (singleReplicaReason?: string) => ({
      metadata: { name: 'one', annotations: { keep: 'me' } }, singleReplicaReason,
      spec: { replicas: 1, selector: { matchLabels: { app: 'one' } }, template: { labels: { app: 'one' }, spec: { serviceAccount: account, tier: PriorityTier.BATCH, containers: [container('main')] } } },
    });
    const annotations = (id: string, reason?: string) => newDeployment(scope, id, props(reason)).toJson().metadata.annotations;
    expect(annotations('with-reason', 'stateless, rescheduled in seconds')).toEqual({ keep: 'me', [SINGLE_REPLICA_REASON_ANNOTATION]: 'stateless, rescheduled in seconds' });
    expect(annotations('without')).toEqual({ keep: 'me' });
    expect(() => newDeployment(scope, 'empty', props('  '))).toThrow(/^Chart 'pods': 'singleReplicaReason' \( {2}\) must be a reason\. Say why one replica is enough/);
  });
});
