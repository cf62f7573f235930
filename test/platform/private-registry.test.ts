import { Chart, Size } from 'cdk8s';
import { PlatformNamespace, PlatformPolicies, PrivateRegistry } from '../../lib';
import { formatFinding } from '../../lib/synth/policy/policy-finding';
import { findObject, synthValid, testApp, testChart } from '../_helpers';
import { SINGLE_REPLICA_REASON_ANNOTATION } from '../../lib/synth/pod/builder';

describe('PrivateRegistry', () => {
  test('registry:2 with htpasswd and TLS from Secrets, a persistent store and a LoadBalancer Service', () => {
    const app = testApp();
    const chart = new Chart(app, 'chart');
    new PlatformNamespace(chart, 'ns', { name: 'registry' });
    new PrivateRegistry(chart, 'registry', { namespace: 'registry', tlsSecretName: 'registry-tls', htpasswdSecretName: 'registry-htpasswd', storage: Size.gibibytes(200) });
    const objects = synthValid(chart);
    expect(objects).toMatchSnapshot();
    expect(PlatformPolicies.check(app).map(formatFinding)).toEqual([]);

    const deployment = findObject(objects, 'Deployment', 'registry');
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0].image).toBe('registry:2.8.3');
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toEqual(expect.objectContaining({ REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd', REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/tls.crt' }));
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'registry-tls' } });
    expect(pod.volumes).toContainEqual({ name: 'auth', secret: { secretName: 'registry-htpasswd', items: [{ key: 'htpasswd', path: 'htpasswd' }] } });
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/', port: 'https', scheme: 'HTTPS' });
    expect(findObject(objects, 'PersistentVolumeClaim', 'registry-store').spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '200Gi' } } });
    expect(findObject(objects, 'Service', 'registry').spec.type).toBe('LoadBalancer');
  });

  test.each<[object, RegExp]>([
    [{ tlsSecretName: 'Registry TLS' }, /'tlsSecretName' \(Registry TLS\) must be a Kubernetes object name/],
    [{ storage: Size.mebibytes(512) }, /'storage' \(512Mi\) must be at least 1Gi/],
    [{ image: 'registry:latest' }, /'image' \(registry:latest\) must be pinned/],
  ])('refuses %j', (props, message) => {
    expect(() => new PrivateRegistry(testChart(), 'registry', { namespace: 'registry', tlsSecretName: 'tls', htpasswdSecretName: 'auth', ...props })).toThrow(message);
  });
});

describe('PrivateRegistry: fixed in #8', () => {
  test.each([
    ['a tag after a registry port', 'registry.local:5000/library/registry:2.8.3', '2.8.3'],
    ['a digest', `registry@sha256:${'a'.repeat(64)}`, undefined],
  ])('%s gives a valid version label, or none', (_title, image, version) => {
    const chart = testChart();
    new PrivateRegistry(chart, 'registry', { namespace: 'registry', tlsSecretName: 'tls', htpasswdSecretName: 'auth', image });
    expect(findObject(synthValid(chart), 'Deployment', 'registry').metadata.labels['app.kubernetes.io/version']).toBe(version);
  });

  test('runs one replica and says why, the embedded registry mirror covering its absence', () => {
    const chart = testChart();
    new PrivateRegistry(chart, 'registry', { namespace: 'registry', tlsSecretName: 'tls', htpasswdSecretName: 'auth' });
    const deployment = findObject(synthValid(chart), 'Deployment', 'registry');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.metadata.annotations[SINGLE_REPLICA_REASON_ANNOTATION]).toMatch(/node-local volume .* K3s embedded registry mirror/);
  });

  test('refuses a storage class the API server would refuse', () => {
    expect(() => new PrivateRegistry(testChart(), 'registry', { namespace: 'registry', tlsSecretName: 'tls', htpasswdSecretName: 'auth', storageClassName: 'Fast SSD' }))
      .toThrow(/^PrivateRegistry 'registry': 'storageClassName' \(Fast SSD\) must be a StorageClass name/);
  });
});
