import { PlatformNamespace, PodSecurityLevel } from '../../lib';
import { findObject, synthValid, testChart } from '../_helpers';

describe('PlatformNamespace', () => {
  test('defaults: restricted Pod Security, default deny, DNS egress allowed', () => {
    const chart = testChart();
    new PlatformNamespace(chart, 'ns', { name: 'analytics' });
    const objects = synthValid(chart);

    expect(objects).toMatchSnapshot();
    const ns = findObject(objects, 'Namespace', 'analytics');
    expect(ns.metadata.labels).toEqual(expect.objectContaining({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.27',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'app.kubernetes.io/part-of': 'video-analytics',
    }));
    const deny = findObject(objects, 'NetworkPolicy', 'default-deny');
    expect(deny.metadata.namespace).toBe('analytics');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const dns = findObject(objects, 'NetworkPolicy', 'allow-dns-egress');
    expect(dns.spec.egress).toEqual([{
      to: [{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    }]);
  });

  test('a privileged namespace says so in every Pod Security label', () => {
    const chart = testChart();
    new PlatformNamespace(chart, 'gpu', { name: 'gpu-system', podSecurity: PodSecurityLevel.PRIVILEGED, labels: { 'example.com/owner': 'platform' } });
    const ns = findObject(synthValid(chart), 'Namespace', 'gpu-system');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.labels['pod-security.kubernetes.io/warn']).toBe('privileged');
    expect(ns.metadata.labels['example.com/owner']).toBe('platform');
  });

  test('the default deny can be turned off, and DNS egress separately', () => {
    const open = testChart();
    new PlatformNamespace(open, 'ns', { name: 'open', defaultDeny: false });
    expect(synthValid(open).map((o) => o.kind)).toEqual(['Namespace']);

    const noDns = testChart();
    new PlatformNamespace(noDns, 'ns', { name: 'sealed', allowDnsEgress: false });
    expect(synthValid(noDns).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/sealed', 'NetworkPolicy/default-deny']);
  });

  test.each([
    ['Analytics', /PlatformNamespace 'ns': 'name' \(Analytics\) must be a DNS-1123 label .*Use lowercase letters/],
    ['a'.repeat(64), /'name' \(a{64}\) must be a DNS-1123 label \(must be no more than 63 characters\)/],
    ['-edge', /'name' \(-edge\) must be a DNS-1123 label/],
  ])('refuses the name %s', (name, message) => {
    expect(() => new PlatformNamespace(testChart(), 'ns', { name })).toThrow(message);
  });

  test('refuses a label that Kubernetes would refuse', () => {
    expect(() => new PlatformNamespace(testChart(), 'ns', { name: 'a', labels: { site: 'north gate' } }))
      .toThrow(/PlatformNamespace 'ns': 'labels.site' \(north gate\) must be a valid Kubernetes label/);
  });
});

test('PlatformNamespace refuses Pod Security labels that would be overwritten', () => {
  expect(() => new PlatformNamespace(testChart(), 'ns', { name: 'a', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } }))
    .toThrow(/PlatformNamespace 'ns': 'labels.pod-security.kubernetes.io\/enforce' \(privileged\) must be left to podSecurity. Set 'podSecurity' instead/);
});
