import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { parse } from 'yaml';
import { GPU_NODE_TAINT, K3sCluster, K3sClusterProps } from '../../lib';
// Not yet exported from lib/index.ts.
import { EtcdS3Backup, EvictionThreshold, K3S_HARDENING_PATHS } from '../../lib';

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

  test('one config per node, plus registries.yaml and the hardening files', () => {
    expect(Object.keys(files).sort()).toEqual([
      'gpu-1/config.yaml', 'hardening/90-kubelet.conf', 'hardening/audit.yaml', 'hardening/psa.yaml',
      'registries.yaml', 'server-1/config.yaml', 'server-2/config.yaml', 'server-3/config.yaml',
    ]);
    expect(files).toMatchSnapshot();
  });

  test('the first server initializes embedded etcd; the others join through the fixed registration address; shared settings match', () => {
    const [first, second, third] = ['server-1', 'server-2', 'server-3'].map((n) => parse(files[`${n}/config.yaml`]));
    expect(first['cluster-init']).toBe(true);
    expect(first.server).toBeUndefined();
    // Never server-1's own address: a server restarting while server-1 is down must still rejoin.
    expect(second.server).toBe('https://k3s-api.site.internal:6443');
    expect(third.server).toBe('https://k3s-api.site.internal:6443');
    expect(Object.values(files).join('\n')).not.toContain('10.0.0.11:6443');
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

  test('registries.yaml mirrors the public registries with TLS and no credentials, and lists the mirror itself for peer sharing', () => {
    const registries = parse(files['registries.yaml']);
    expect(registries.mirrors['docker.io']).toEqual({ endpoint: ['https://registry.video-analytics.internal:5000'] });
    expect(Object.keys(registries.mirrors)).toEqual(['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io', 'registry.video-analytics.internal:5000']);
    expect(registries.mirrors['registry.video-analytics.internal:5000']).toEqual({});
    expect(registries.configs).toEqual({ 'registry.video-analytics.internal:5000': { tls: { ca_file: '/etc/rancher/k3s/registry-ca.crt' } } });
  });

  test.each<[string, Partial<K3sClusterProps>, RegExp]>([
    ['two servers', { servers: SERVERS.slice(0, 2) }, /'servers' \(2 servers\) must be an odd number: 3 or 5 for high availability, or 1 for a single-node site/],
    ['four servers', { servers: [...SERVERS, { name: 'server-4', address: '10.0.0.14' }] }, /must be an odd number/],
    ['a duplicate node name', { gpuAgents: [{ name: 'server-1', address: '10.0.1.1', gpus: 1 }] }, /'gpuAgents\[0\].name' \(server-1\) must be unique/],
    ['an agent without GPUs', { gpuAgents: [{ name: 'gpu-1', address: '10.0.1.1', gpus: 0 }] }, /'gpuAgents.gpu-1.gpus' \(0\) must be an integer >= 1/],
    ['a GPU server with a fraction of a GPU', { servers: [{ name: 'edge', address: '10.0.0.5', gpus: 0.5 }] }, /'servers.edge.gpus' \(0.5\) must be an integer >= 1/],
    ['an unknown component', { disable: ['nginx'] }, /'disable' \(nginx\) must be one of/],
  ])('refuses %s', (_title, props, message) => {
    expect(() => new K3sCluster({ ...PROPS, ...props })).toThrow(message);
  });
});

describe('K3sCluster: a single-node edge box', () => {
  const edge = new K3sCluster({ servers: [{ name: 'edge-1', address: '10.0.0.5', gpus: 1, product: 'NVIDIA-L4' }], apiEndpoint: 'edge-1.site.internal' });
  const config = parse(edge.files()['edge-1/config.yaml']);

  test('one server initializes the cluster and is the GPU node: labelled for the pools, not tainted, since everything runs there', () => {
    expect(config['cluster-init']).toBe(true);
    expect(config['node-label']).toEqual(['nvidia.com/gpu.present=true', 'nvidia.com/gpu.count=1', 'nvidia.com/gpu.product=NVIDIA-L4']);
    expect(config).not.toHaveProperty('node-taint');
    expect(edge.totalGpus).toBe(1);
    expect(Object.keys(edge.files()).filter((file) => file.endsWith('config.yaml'))).toEqual(['edge-1/config.yaml']);
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

/** The parsed config file of a node. */
function config(files: Record<string, string>, node: string): any {
  return parse(files[`${node}/config.yaml`]);
}

/** `flag=value` entries of a `*-arg` list, by flag: never by position. */
function args(list: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

describe('K3sCluster: etcd snapshots', () => {
  test('every six hours, a week of them kept, compressed, on the servers only by default', () => {
    const server = config(new K3sCluster(PROPS).files(), 'server-2');
    expect(server).toEqual(expect.objectContaining({ 'etcd-snapshot-schedule-cron': '0 */6 * * *', 'etcd-snapshot-retention': 28, 'etcd-snapshot-compress': true }));
    expect(Object.keys(server).filter((key) => key.startsWith('etcd-s3'))).toEqual([]);
    expect(config(new K3sCluster(PROPS).files(), 'gpu-1')).not.toHaveProperty('etcd-snapshot-retention');
  });

  test('schedule, retention and compression as given, the same on every server', () => {
    const files = new K3sCluster({ ...PROPS, etcdSnapshots: { scheduleCron: '30 1 * * MON-FRI', retention: 10, compress: false } }).files();
    for (const node of ['server-1', 'server-2', 'server-3']) {
      expect(config(files, node)).toEqual(expect.objectContaining({ 'etcd-snapshot-schedule-cron': '30 1 * * MON-FRI', 'etcd-snapshot-retention': 10, 'etcd-snapshot-compress': false }));
    }
  });

  test('an S3 bucket with its keys in a drop-in file on each server: the config names the bucket, never a key', () => {
    const s3 = EtcdS3Backup.toBucket({ endpoint: 'minio.site.internal:9000', bucket: 'etcd-snapshots', folder: 'site-a/etcd', region: 'eu-central-1' });
    const files = new K3sCluster({ ...PROPS, etcdSnapshots: { s3 } }).files();
    const server = config(files, 'server-3');
    expect(server).toEqual(expect.objectContaining({
      'etcd-s3': true, 'etcd-s3-endpoint': 'minio.site.internal:9000', 'etcd-s3-bucket': 'etcd-snapshots', 'etcd-s3-folder': 'site-a/etcd', 'etcd-s3-region': 'eu-central-1',
    }));
    expect(server).not.toHaveProperty('etcd-s3-access-key');
    expect(server).not.toHaveProperty('etcd-s3-secret-key');
    expect(files['server-3/config.yaml']).toContain('# etcd snapshots go to S3 with the keys in /etc/rancher/k3s/config.yaml.d/etcd-s3-credentials.yaml');
  });

  test('an S3 configuration Secret: only etcd-s3 and the Secret name, since K3s ignores the Secret beside any other etcd-s3 setting', () => {
    const files = new K3sCluster({ ...PROPS, etcdSnapshots: { s3: EtcdS3Backup.fromSecret('etcd-s3-config') } }).files();
    const server = config(files, 'server-1');
    expect(Object.fromEntries(Object.entries(server).filter(([key]) => key.startsWith('etcd-s3')))).toEqual({ 'etcd-s3': true, 'etcd-s3-config-secret': 'etcd-s3-config' });
    expect(files['server-1/config.yaml']).toContain('kube-system/etcd-s3-config: create it by hand');
  });

  const bucket = { endpoint: 'minio.site.internal:9000', bucket: 'etcd-snapshots' };
  const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
  const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  test.each<[string, K3sClusterProps['etcdSnapshots'], RegExp]>([
    ['a cron expression with four fields', { scheduleCron: '0 */6 * *' }, /^K3sCluster: 'etcdSnapshots\.scheduleCron' \(0 \*\/6 \* \*\) must be a cron expression \(it has 4 fields, not 5\)/],
    ['a minute past 59', { scheduleCron: '60 * * * *' }, /'etcdSnapshots\.scheduleCron' \(60 \* \* \* \*\) must be a cron expression \(the minute field '60'/],
    ['a reversed range', { scheduleCron: '0 5-1 * * *' }, /'etcdSnapshots\.scheduleCron' \(0 5-1 \* \* \*\) must be a cron expression \(the hour field '5-1'/],
    ['no snapshot kept', { retention: 0 }, /^K3sCluster: 'etcdSnapshots\.retention' \(0\) must be an integer >= 1/],
    ['a fraction of a snapshot', { retention: 1.5 }, /'etcdSnapshots\.retention' \(1\.5\) must be an integer >= 1/],
    ['an endpoint with a scheme', { s3: EtcdS3Backup.toBucket({ ...bucket, endpoint: 'https://minio.site.internal' }) }, /^K3sCluster: 'etcdSnapshots\.s3\.endpoint' \(https:\/\/minio\.site\.internal\) must be a host and optional port without a scheme/],
    ['a bucket name S3 refuses', { s3: EtcdS3Backup.toBucket({ ...bucket, bucket: 'Etcd_Snapshots' }) }, /'etcdSnapshots\.s3\.bucket' \(Etcd_Snapshots\) must be an S3 bucket name/],
    ['a folder with a leading slash', { s3: EtcdS3Backup.toBucket({ ...bucket, folder: '/site-a' }) }, /'etcdSnapshots\.s3\.folder' \(\/site-a\) must be a key prefix without leading, trailing or double slashes/],
    ['a credentials file K3s does not read', { s3: EtcdS3Backup.toBucket({ ...bucket, credentialsFile: '/root/.aws/credentials' }) }, /'etcdSnapshots\.s3\.credentialsFile' \(\/root\/\.aws\/credentials\) must be a \.yaml file in \/etc\/rancher\/k3s\/config\.yaml\.d\//],
    ['a Secret name that is not one', { s3: EtcdS3Backup.fromSecret('Etcd S3') }, /'etcdSnapshots\.s3\.secretName' \(Etcd S3\) must be a Secret name/],
  ])('refuses %s', (_title, etcdSnapshots, message) => {
    expect(() => new K3sCluster({ ...PROPS, etcdSnapshots })).toThrow(message);
  });

  test.each<[string, K3sClusterProps['etcdSnapshots'], RegExp]>([
    ['keys written into the endpoint', { s3: EtcdS3Backup.toBucket({ ...bucket, endpoint: `${ACCESS_KEY}:${SECRET_KEY}@minio.site.internal` }) }, /^K3sCluster: 'etcdSnapshots\.s3\.endpoint' \(\*\*\*\) must be no access key or secret key/],
    ['an access key id as the Secret name', { s3: EtcdS3Backup.fromSecret(ACCESS_KEY) }, /'etcdSnapshots\.s3\.secretName' \(\*\*\*\) must be no access key or secret key/],
    ['a secret key as the folder', { s3: EtcdS3Backup.toBucket({ ...bucket, folder: SECRET_KEY }) }, /'etcdSnapshots\.s3\.folder' \(\*\*\*\) must be no access key or secret key/],
    ['an accessKey prop from an untyped caller', { s3: EtcdS3Backup.toBucket({ ...bucket, accessKey: ACCESS_KEY } as any) }, /'etcdSnapshots\.s3\.accessKey' \(\*\*\*\) must be absent: keys never go into the config/],
    ['an etcd-s3-secret-key prop from an untyped caller', { 'etcd-s3-secret-key': SECRET_KEY } as any, /'etcdSnapshots\.etcd-s3-secret-key' \(\*\*\*\) must be absent/],
    ['a plain object in place of an EtcdS3Backup', { s3: { endpoint: 'minio.site.internal', bucket: 'b', secretKey: SECRET_KEY } as any }, /'etcdSnapshots\.s3' \(\*\*\*\) must be made with EtcdS3Backup\.fromSecret\(\) or EtcdS3Backup\.toBucket\(\)/],
  ])('refuses %s, and never repeats the key', (_title, etcdSnapshots, message) => {
    let thrown = '';
    try {
      new K3sCluster({ ...PROPS, etcdSnapshots });
    } catch (error) {
      thrown = (error as Error).message;
    }
    expect(thrown).toMatch(message);
    expect(thrown).not.toContain(ACCESS_KEY);
    expect(thrown).not.toContain(SECRET_KEY);
  });
});

describe('K3sCluster: kubelet reservations and eviction', () => {
  const files = new K3sCluster(PROPS).files();

  test('servers keep more for K3s than agents; every node keeps the same for the system and evicts at the same thresholds', () => {
    const server = args(config(files, 'server-1')['kubelet-arg']);
    const agent = args(config(files, 'gpu-1')['kubelet-arg']);
    expect(server['system-reserved']).toBe('cpu=250m,memory=512Mi');
    expect(server['kube-reserved']).toBe('cpu=1,memory=1536Mi');
    expect(agent['system-reserved']).toBe('cpu=250m,memory=512Mi');
    expect(agent['kube-reserved']).toBe('cpu=500m,memory=1Gi');
    // All four signals, always: the kubelet drops its defaults for any signal left out.
    for (const node of [server, agent]) expect(node['eviction-hard']).toBe('memory.available<500Mi,nodefs.available<10%,imagefs.available<15%,nodefs.inodesFree<5%');
  });

  test('given amounts replace the defaults field by field', () => {
    const custom = new K3sCluster({
      ...PROPS,
      kubeletReservations: {
        systemReserved: { memory: Size.gibibytes(1) },
        agentKubeReserved: { cpu: Cpu.units(2), memory: Size.mebibytes(2048) },
        evictionHard: { memoryAvailable: EvictionThreshold.percent(7.5), imagefsAvailable: EvictionThreshold.size(Size.gibibytes(20)) },
      },
    }).files();
    const server = args(config(custom, 'server-2')['kubelet-arg']);
    const agent = args(config(custom, 'gpu-1')['kubelet-arg']);
    expect(server['system-reserved']).toBe('cpu=250m,memory=1Gi');
    expect(server['kube-reserved']).toBe('cpu=1,memory=1536Mi');
    expect(agent['kube-reserved']).toBe('cpu=2,memory=2048Mi');
    expect(agent['eviction-hard']).toBe('memory.available<7.5%,nodefs.available<10%,imagefs.available<20Gi,nodefs.inodesFree<5%');
  });

  test.each<[string, K3sClusterProps['kubeletReservations'], RegExp]>([
    ['a negative CPU reservation', { systemReserved: { cpu: Cpu.millis(-100) } }, /^K3sCluster: 'kubeletReservations\.systemReserved\.cpu' \(-100m\) must be a CPU amount of at least 0/],
    ['a CPU reservation that is not a number', { serverKubeReserved: { cpu: Cpu.units(NaN) } }, /'kubeletReservations\.serverKubeReserved\.cpu' \(NaN\) must be a CPU amount/],
    ['an eviction threshold of 0%', { evictionHard: { nodefsAvailable: EvictionThreshold.percent(0) } }, /^K3sCluster: 'kubeletReservations\.evictionHard\.nodefsAvailable' \(0%\) must be a percentage above 0 and below 100/],
    ['an eviction threshold of 100%', { evictionHard: { memoryAvailable: EvictionThreshold.percent(100) } }, /'kubeletReservations\.evictionHard\.memoryAvailable' \(100%\) must be a percentage above 0 and below 100/],
    ['a negative eviction percentage', { evictionHard: { imagefsAvailable: EvictionThreshold.percent(-5) } }, /'kubeletReservations\.evictionHard\.imagefsAvailable' \(-5%\) must be a percentage/],
    ['an eviction size of 0', { evictionHard: { memoryAvailable: EvictionThreshold.size(Size.mebibytes(0)) } }, /'kubeletReservations\.evictionHard\.memoryAvailable' \(0Mi\) must be a size above 0/],
    ['free inodes as a size', { evictionHard: { nodefsInodesFree: EvictionThreshold.size(Size.mebibytes(5)) } }, /'kubeletReservations\.evictionHard\.nodefsInodesFree' \(5Mi\) must be a percentage\. Inodes are counted/],
    ['a threshold that is neither a percentage nor a size', { evictionHard: { memoryAvailable: '10 percent' as any } }, /'kubeletReservations\.evictionHard\.memoryAvailable' \(10 percent\) must be a percentage or a size/],
    ['an eviction signal the kubelet does not know', { evictionHard: { pidAvailable: EvictionThreshold.percent(10) } as any }, /'kubeletReservations\.evictionHard\.pidAvailable' .* must be one of memoryAvailable, nodefsAvailable, imagefsAvailable, nodefsInodesFree/],
    ['a memory reservation that is not a Size', { agentKubeReserved: { memory: '1Gi' as any } }, /'kubeletReservations\.agentKubeReserved\.memory' \(1Gi\) must be a Size/],
  ])('refuses %s', (_title, kubeletReservations, message) => {
    expect(() => new K3sCluster({ ...PROPS, kubeletReservations })).toThrow(message);
  });

  test('a negative memory reservation is refused by cdk8s Size itself', () => {
    expect(() => Size.mebibytes(-1)).toThrow(/cannot be negative/);
  });
});

describe('K3sCluster: CIS hardening', () => {
  const files = new K3sCluster({ ...PROPS, privilegedNamespaces: ['system-upgrade', 'gpu-system', 'monitoring-host'] }).files();

  test('servers protect kernel defaults, admit pods through the PodSecurity configuration and write an audit log', () => {
    for (const node of ['server-1', 'server-2', 'server-3']) {
      const server = config(files, node);
      expect(server['protect-kernel-defaults']).toBe(true);
      expect(server['secrets-encryption']).toBe(true);
      expect(args(server['kube-apiserver-arg'])).toEqual({
        'admission-control-config-file': '/var/lib/rancher/k3s/server/psa.yaml',
        'audit-log-path': '/var/lib/rancher/k3s/server/logs/audit.log',
        'audit-policy-file': '/var/lib/rancher/k3s/server/audit.yaml',
        'audit-log-maxage': '30',
        'audit-log-maxbackup': '10',
        'audit-log-maxsize': '100',
      });
      expect(args(server['kubelet-arg'])['streaming-connection-idle-timeout']).toBe('5m');
    }
    expect(files['server-1/config.yaml']).toContain('# Before K3s starts: /var/lib/rancher/k3s/server/psa.yaml and /var/lib/rancher/k3s/server/audit.yaml in place');
  });

  test('agents protect kernel defaults and close idle streams; the API server settings are the servers\' only', () => {
    const agent = config(files, 'gpu-1');
    expect(agent['protect-kernel-defaults']).toBe(true);
    expect(args(agent['kubelet-arg'])['streaming-connection-idle-timeout']).toBe('5m');
    expect(agent).not.toHaveProperty('kube-apiserver-arg');
    expect(files['gpu-1/config.yaml']).toContain('# Before K3s starts: /etc/sysctl.d/90-kubelet.conf in place');
  });

  test('the admission configuration enforces restricted everywhere but kube-system and the privileged namespaces', () => {
    const admission = parse(files['hardening/psa.yaml']);
    expect(admission).toEqual(expect.objectContaining({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration' }));
    const podSecurity = admission.plugins.find((plugin: any) => plugin.name === 'PodSecurity');
    expect(podSecurity.configuration).toEqual(expect.objectContaining({ apiVersion: 'pod-security.admission.config.k8s.io/v1', kind: 'PodSecurityConfiguration' }));
    expect(podSecurity.configuration.defaults).toEqual(expect.objectContaining({ enforce: 'restricted', audit: 'restricted', warn: 'restricted' }));
    expect(podSecurity.configuration.exemptions.namespaces).toEqual(['gpu-system', 'kube-system', 'monitoring-host', 'system-upgrade']);
    expect(files['hardening/psa.yaml']).toMatch(new RegExp(`^# Generated by cdk8s-video-analytics: copy to ${K3S_HARDENING_PATHS.admissionConfig} on every server`));
  });

  test('the audit policy logs metadata, never a request or response body', () => {
    const policy = parse(files['hardening/audit.yaml']);
    expect(policy).toEqual(expect.objectContaining({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy' }));
    expect(policy.rules.map((rule: any) => rule.level).every((level: string) => level === 'None' || level === 'Metadata')).toBe(true);
    const secrets = policy.rules.find((rule: any) => rule.resources?.some((r: any) => r.group === '' && r.resources.includes('secrets')));
    expect(secrets.level).toBe('Metadata');
    expect(policy.rules.find((rule: any) => Object.keys(rule).length === 1)).toEqual({ level: 'Metadata' });
  });

  test('the sysctl file holds the kernel settings protect-kernel-defaults insists on', () => {
    const settings = Object.fromEntries(files['hardening/90-kubelet.conf'].split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split('=')));
    expect(settings).toEqual({ 'vm.panic_on_oom': '0', 'vm.overcommit_memory': '1', 'kernel.panic': '10', 'kernel.panic_on_oops': '1' });
  });

  test('opting out leaves no hardening setting and no hardening file; reservations stay', () => {
    const plain = new K3sCluster({ ...PROPS, cisHardening: false, privilegedNamespaces: ['gpu-system'] }).files();
    expect(Object.keys(plain).filter((file) => file.startsWith('hardening/'))).toEqual([]);
    for (const node of ['server-1', 'gpu-1']) {
      const c = config(plain, node);
      expect(c).not.toHaveProperty('protect-kernel-defaults');
      expect(c).not.toHaveProperty('kube-apiserver-arg');
      expect(args(c['kubelet-arg'])).not.toHaveProperty('streaming-connection-idle-timeout');
      expect(args(c['kubelet-arg'])).toHaveProperty('system-reserved');
    }
  });

  test.each<[string, Partial<K3sClusterProps>, RegExp]>([
    ['a privileged namespace that is not a namespace name', { privilegedNamespaces: ['GPU_System'] }, /^K3sCluster: 'privilegedNamespaces' \(GPU_System\) must be a namespace name/],
    ['hardening with a K3s release older than Kubernetes 1.25', { k3sVersion: 'v1.24.17+k3s1', embeddedRegistry: false }, /^K3sCluster: 'cisHardening' \(true with K3s v1\.24\.17\+k3s1\) must be used with K3s v1\.25 or later/],
  ])('refuses %s', (_title, props, message) => {
    expect(() => new K3sCluster({ ...PROPS, ...props })).toThrow(message);
  });
});

describe('K3sCluster: the embedded registry mirror', () => {
  test('on the servers only, and every public registry listed for peer sharing even without a mirror', () => {
    const files = new K3sCluster({ ...PROPS, registryMirror: undefined }).files();
    for (const node of ['server-1', 'server-2', 'server-3']) expect(config(files, node)['embedded-registry']).toBe(true);
    // Agents refuse the flag.
    expect(config(files, 'gpu-1')).not.toHaveProperty('embedded-registry');
    const registries = parse(files['registries.yaml']);
    expect(registries.mirrors).toEqual({ 'docker.io': {}, 'ghcr.io': {}, 'nvcr.io': {}, 'quay.io': {}, 'registry.k8s.io': {} });
    expect(registries).not.toHaveProperty('configs');
  });

  test('registries the mirror does not serve are still listed, without an endpoint', () => {
    const files = new K3sCluster({ ...PROPS, registryMirror: { host: 'registry.site.internal:5000', mirrored: ['docker.io'] } }).files();
    const mirrors = parse(files['registries.yaml']).mirrors;
    expect(mirrors['docker.io']).toEqual({ endpoint: ['https://registry.site.internal:5000'] });
    expect(mirrors['nvcr.io']).toEqual({});
    expect(mirrors['registry.site.internal:5000']).toEqual({});
  });

  test('opting out: no embedded-registry, and registries.yaml only for a mirror, listing only what it serves', () => {
    const withoutMirror = new K3sCluster({ ...PROPS, registryMirror: undefined, embeddedRegistry: false }).files();
    expect(config(withoutMirror, 'server-1')).not.toHaveProperty('embedded-registry');
    expect(withoutMirror).not.toHaveProperty(['registries.yaml']);
    const withMirror = new K3sCluster({ ...PROPS, embeddedRegistry: false, registryMirror: { host: 'registry.site.internal:5000', mirrored: ['docker.io', 'quay.io'] } }).files();
    expect(Object.keys(parse(withMirror['registries.yaml']).mirrors)).toEqual(['docker.io', 'quay.io']);
  });

  test.each(['v1.26.13+k3s1', 'v1.27.10+k3s2', 'v1.28.6+k3s1', 'v1.29.1+k3s1', 'v1.30.0+k3s1', 'v1.33.2+k3s1'])('accepts it with K3s %s', (k3sVersion) => {
    expect(() => new K3sCluster({ ...PROPS, k3sVersion })).not.toThrow();
  });

  test.each<[string, Partial<K3sClusterProps>, RegExp]>([
    ['with K3s v1.26.12, before the experimental release', { k3sVersion: 'v1.26.12+k3s1' }, /^K3sCluster: 'embeddedRegistry' \(true with K3s v1\.26\.12\+k3s1\) must be used with K3s v1\.26\.13, v1\.27\.10, v1\.28\.6, v1\.29\.1 or later/],
    ['with K3s v1.29.0', { k3sVersion: 'v1.29.0+k3s1' }, /'embeddedRegistry' \(true with K3s v1\.29\.0\+k3s1\)/],
    ['with K3s v1.25', { k3sVersion: 'v1.25.16+k3s4' }, /'embeddedRegistry' \(true with K3s v1\.25\.16\+k3s4\)/],
    ['a K3s version that names no release', { k3sVersion: '1.30' }, /^K3sCluster: 'k3sVersion' \(1\.30\) must be a K3s release such as v1\.30\.4\+k3s1/],
  ])('refuses it %s', (_title, props, message) => {
    expect(() => new K3sCluster({ ...PROPS, ...props })).toThrow(message);
  });

  test('an old K3s is fine when the mirror is off', () => {
    expect(() => new K3sCluster({ ...PROPS, k3sVersion: 'v1.26.12+k3s1', embeddedRegistry: false })).not.toThrow();
  });
});
