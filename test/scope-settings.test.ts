import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PlatformPriorities, ScopeSettings } from '../lib';
import { PriorityTier, buildPodSpec, newServiceAccount, scopedImage, scopedPriorityClass } from '../lib/synth/pod/builder';
import { testApp } from './_helpers';

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
