import { parse } from 'yaml';
import { GPU_NODE_TAINT, K3sCluster, K3sClusterProps } from '../lib';

const SERVERS = [
  { name: 'server-1', address: '10.0.0.11' },
  { name: 'server-2', address: '10.0.0.12' },
  { name: 'server-3', address: '10.0.0.13' },
];
const PROPS: K3sClusterProps = {
  servers: SERVERS,
  apiEndpoint: 'k3s-api.site.internal',
  gpuAgents: [{ name: 'gpu-1', address: '10.0.1.21', gpus: 2, product: 'NVIDIA-L4' }],
  registryMirror: { host: 'registry.video-analytics.internal:5000' },
};

describe('K3sCluster', () => {
  const files = new K3sCluster(PROPS).files();

  test('one config per node, plus registries.yaml', () => {
    expect(Object.keys(files).sort()).toEqual(['gpu-1/config.yaml', 'registries.yaml', 'server-1/config.yaml', 'server-2/config.yaml', 'server-3/config.yaml']);
    expect(files).toMatchSnapshot();
  });

  test('the first server initializes embedded etcd; the others join it; shared settings match', () => {
    const [first, second, third] = ['server-1', 'server-2', 'server-3'].map((n) => parse(files[`${n}/config.yaml`]));
    expect(first['cluster-init']).toBe(true);
    expect(first.server).toBeUndefined();
    expect(second.server).toBe('https://10.0.0.11:6443');
    expect(third.server).toBe('https://10.0.0.11:6443');
    const shared = (c: any) => ({ ...c, 'cluster-init': undefined, server: undefined, 'node-name': undefined, 'node-ip': undefined });
    expect(shared(second)).toEqual(shared(first));
    expect(shared(third)).toEqual(shared(first));
    expect(first).toEqual(expect.objectContaining({
      'tls-san': ['k3s-api.site.internal'], 'cluster-cidr': '10.42.0.0/16', 'service-cidr': '10.43.0.0/16', 'cluster-dns': '10.43.0.10',
      'secrets-encryption': true, 'token-file': '/etc/rancher/k3s/cluster-token', disable: ['traefik'],
    }));
    // No token in any file: it is read from token-file on the node.
    expect(Object.values(files).join('\n')).not.toMatch(/^token:/m);
  });

  test('GPU agents carry the label and taint GPU pools select and tolerate', () => {
    const agent = parse(files['gpu-1/config.yaml']);
    expect(agent['node-label']).toEqual(['nvidia.com/gpu.present=true', 'nvidia.com/gpu.count=2', 'nvidia.com/gpu.product=NVIDIA-L4']);
    expect(agent['node-taint']).toEqual([GPU_NODE_TAINT]);
    expect(agent.server).toBe('https://k3s-api.site.internal:6443');
    expect(new K3sCluster(PROPS).totalGpus).toBe(2);
  });

  test('registries.yaml mirrors the public registries with TLS and no credentials', () => {
    const registries = parse(files['registries.yaml']);
    expect(registries.mirrors['docker.io']).toEqual({ endpoint: ['https://registry.video-analytics.internal:5000'] });
    expect(Object.keys(registries.mirrors)).toEqual(['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io']);
    expect(registries.configs).toEqual({ 'registry.video-analytics.internal:5000': { tls: { ca_file: '/etc/rancher/k3s/registry-ca.crt' } } });
  });

  test.each<[string, Partial<K3sClusterProps>, RegExp]>([
    ['two servers', { servers: SERVERS.slice(0, 2) }, /'servers' \(2 servers\) must be an odd number of at least 3/],
    ['four servers', { servers: [...SERVERS, { name: 'server-4', address: '10.0.0.14' }] }, /must be an odd number/],
    ['a duplicate node name', { gpuAgents: [{ name: 'server-1', address: '10.0.1.1', gpus: 1 }] }, /'gpuAgents\[0\].name' \(server-1\) must be unique/],
    ['an agent without GPUs', { gpuAgents: [{ name: 'gpu-1', address: '10.0.1.1', gpus: 0 }] }, /'gpuAgents.gpu-1.gpus' \(0\) must be an integer >= 1/],
    ['an unknown component', { disable: ['nginx'] }, /'disable' \(nginx\) must be one of/],
  ])('refuses %s', (_title, props, message) => {
    expect(() => new K3sCluster({ ...PROPS, ...props })).toThrow(message);
  });
});

describe('K3sCluster: fixed in #8', () => {
  test.each<[string, Partial<K3sClusterProps>, RegExp]>([
    ['a GPU product K3s cannot use as a node label', { gpuAgents: [{ name: 'gpu-1', address: '10.0.1.21', gpus: 1, product: 'NVIDIA L4' }] }, /^K3sCluster: 'gpuAgents\.gpu-1\.product' \(NVIDIA L4\) must be a node label value/],
    ['a node address that is neither an IPv4 address nor a DNS name', { servers: [SERVERS[0], { name: 'server-2', address: '10.0.0' }, SERVERS[2]] }, /^K3sCluster: 'servers\[1\]\.address' \(10\.0\.0\) must be a DNS name or an IPv4 address/],
    ['an API endpoint with an octet above 255', { apiEndpoint: '10.0.0.256' }, /^K3sCluster: 'apiEndpoint' \(10\.0\.0\.256\) must be a DNS name or an IPv4 address/],
  ])('refuses %s', (_title, props, message) => {
    expect(() => new K3sCluster({ ...PROPS, ...props })).toThrow(message);
  });

  test('node-ip only for nodes given by IP address: K3s refuses a DNS name there', () => {
    const byName = new K3sCluster({ ...PROPS, gpuAgents: [{ name: 'gpu-1', address: 'gpu-1.site.internal', gpus: 1 }] }).files();
    expect(parse(byName['gpu-1/config.yaml'])).not.toHaveProperty('node-ip');
    expect(parse(byName['server-1/config.yaml'])['node-ip']).toBe('10.0.0.11');
  });
});

describe('K3sCluster: the pod and Service networks and the cluster DNS address', () => {
  test.each<[string, Partial<K3sClusterProps>, RegExp]>([
    ['a pod network that is not a CIDR', { clusterCidr: '10.42.0.0' }, /^K3sCluster: 'clusterCidr' \(10\.42\.0\.0\) must be a CIDR/],
    ['a Service network with a prefix above 32', { serviceCidr: '10.43.0.0/33' }, /^K3sCluster: 'serviceCidr' \(10\.43\.0\.0\/33\) must be a CIDR/],
    ['overlapping pod and Service networks', { clusterCidr: '10.42.0.0/15' }, /^K3sCluster: 'serviceCidr' \(10\.43\.0\.0\/16\) must be apart from clusterCidr \(10\.42\.0\.0\/15\)/],
    ['a DNS address outside the Service network', { serviceCidr: '10.96.0.0/12' }, /^K3sCluster: 'clusterDns' \(10\.43\.0\.10\) must be an address inside serviceCidr \(10\.96\.0\.0\/12\)/],
    ['a DNS address that is not an address', { clusterDns: '10.43.0' }, /^K3sCluster: 'clusterDns' \(10\.43\.0\) must be an address inside serviceCidr/],
    ['the first Service address, which the kubernetes Service takes', { clusterDns: '10.43.0.1' }, /^K3sCluster: 'clusterDns' \(10\.43\.0\.1\) must be an assignable address of serviceCidr \(10\.43\.0\.0\/16\) other than its first/],
    ['the broadcast address of the Service network', { clusterDns: '10.43.255.255' }, /'clusterDns' \(10\.43\.255\.255\) must be an assignable address/],
    ['an IPv6 DNS address for an IPv4 Service network', { clusterDns: 'fd00::a' }, /'clusterDns' \(fd00::a\) must be an address inside serviceCidr/],
    ['a cluster domain that is not a DNS name', { clusterDomain: 'Cluster_Local' }, /^K3sCluster: 'clusterDomain' \(Cluster_Local\) must be a DNS-1123 subdomain/],
  ])('refuses %s', (_title, props, message) => {
    expect(() => new K3sCluster({ ...PROPS, ...props })).toThrow(message);
  });

  test('accepts other private ranges and IPv6 networks, and writes them as given', () => {
    const custom = { clusterCidr: '172.16.0.0/16', serviceCidr: '172.17.0.0/20', clusterDns: '172.17.15.254' };
    expect(parse(new K3sCluster({ ...PROPS, ...custom }).files()['server-1/config.yaml'])).toEqual(expect.objectContaining({
      'cluster-cidr': '172.16.0.0/16', 'service-cidr': '172.17.0.0/20', 'cluster-dns': '172.17.15.254',
    }));
    expect(() => new K3sCluster({ ...PROPS, clusterCidr: 'fd00:42::/56', serviceCidr: 'fd00:43::/112', clusterDns: 'fd00:43::a' })).not.toThrow();
    expect(() => new K3sCluster({ ...PROPS, clusterCidr: 'fd00:42::/56', serviceCidr: 'fd00:43::/112', clusterDns: 'fd00:44::a' })).toThrow(/'clusterDns' \(fd00:44::a\)/);
  });
});
