import { Connections, tcpPort } from '../../lib/synth/connections';

/** A group of pods in `namespace`, selected by `app: <name>`, with one pod template labelled through labelPods. */
function group(name: string, namespace: string, options: { labelled?: boolean } = {}): { connections: Connections; template: Record<string, string> } {
  const connections = new Connections({ ownerKind: 'Test', name, namespace, podSelector: { app: name } });
  const template: Record<string, string> = { app: name };
  if (options.labelled ?? true) connections.labelPods(template);
  return { connections, template };
}

const inNamespace = (namespace: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } });
const KEY = 'video-analytics.io/scraped-by-prometheus';

describe('Connections.allowFrom with byServerLabel', () => {
  test('labels the servers\' pods and gives the client one egress rule per port set, with one peer per server namespace', () => {
    const prometheus = group('prometheus', 'monitoring');
    const servers = [group('a', 'apps'), group('b', 'apps'), group('c', 'other'), group('d', 'apps'), group('e', 'monitoring')];
    const ports = [9998, 9998, 9998, 8080, 9998];
    servers.forEach((server, i) => server.connections.allowFrom(prometheus.connections, [ports[i]], { byServerLabel: 'scraped-by' }));

    expect(servers.map((server) => server.template[KEY])).toEqual(['monitoring.9998', 'monitoring.9998', 'monitoring.9998', 'monitoring.8080', 'monitoring.9998']);
    expect(prometheus.connections.egress).toEqual([
      {
        to: [
          { podSelector: { matchLabels: { [KEY]: 'monitoring.9998' } }, ...inNamespace('apps') },
          { podSelector: { matchLabels: { [KEY]: 'monitoring.9998' } }, ...inNamespace('other') },
          // The client's own namespace: no namespaceSelector.
          { podSelector: { matchLabels: { [KEY]: 'monitoring.9998' } } },
        ],
        ports: [tcpPort(9998)],
      },
      { to: [{ podSelector: { matchLabels: { [KEY]: 'monitoring.8080' } }, ...inNamespace('apps') }], ports: [tcpPort(8080)] },
    ]);
    // The ingress side is the server's own rule, by the client's selector, as without the option.
    expect(servers[0].connections.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { app: 'prometheus' } }, ...inNamespace('monitoring') }], ports: [tcpPort(9998)] }]);
    expect(prometheus.template[KEY]).toBeUndefined();
  });

  test('a pod template labelled later gets the label too, and declaring the link again changes nothing', () => {
    const prometheus = group('prometheus', 'monitoring');
    const server = group('a', 'apps');
    server.connections.allowFrom(prometheus.connections, [9998], { byServerLabel: 'scraped-by' });
    server.connections.allowFrom(prometheus.connections, [9998], { byServerLabel: 'scraped-by' });
    const later: Record<string, string> = { app: 'a' };
    server.connections.labelPods(later);
    expect(later[KEY]).toBe('monitoring.9998');
    expect(prometheus.connections.egress).toHaveLength(1);
    expect(prometheus.connections.egress[0].to).toHaveLength(1);
    expect(server.connections.ingress).toHaveLength(1);
  });

  test('a port set joins the ports in the value: the peer matches only pods linked on exactly those ports', () => {
    const client = group('prometheus', 'monitoring');
    const server = group('a', 'apps');
    server.connections.allowFrom(client.connections, [8000, 8001], { byServerLabel: 'scraped-by' });
    expect(server.template[KEY]).toBe('monitoring.8000.8001');
  });

  describe('falls back to the server\'s selector, the same flows in one rule, where the label cannot be relied on', () => {
    const bySelector = (namespace: string, app: string, ports: number[]) => ({
      to: [{ podSelector: { matchLabels: { app } }, ...inNamespace(namespace) }], ports: ports.map(tcpPort),
    });

    test('a group whose pods are not built through labelPods', () => {
      const client = group('prometheus', 'monitoring');
      const server = group('a', 'apps', { labelled: false });
      server.connections.allowFrom(client.connections, [9998], { byServerLabel: 'scraped-by' });
      expect(client.connections.egress).toEqual([bySelector('apps', 'a', [9998])]);
    });

    test('a group reached by the same client on a second port set', () => {
      const client = group('prometheus', 'monitoring');
      const server = group('a', 'apps');
      server.connections.allowFrom(client.connections, [9998], { byServerLabel: 'scraped-by' });
      server.connections.allowFrom(client.connections, [8080], { byServerLabel: 'scraped-by' });
      expect(server.template[KEY]).toBe('monitoring.9998');
      expect(client.connections.egress).toEqual([
        { to: [{ podSelector: { matchLabels: { [KEY]: 'monitoring.9998' } }, ...inNamespace('apps') }], ports: [tcpPort(9998)] },
        bySelector('apps', 'a', [8080]),
      ]);
    });

    test('a group reached by a client of the same name in another namespace', () => {
      const first = group('prometheus', 'monitoring');
      const second = group('prometheus', 'site-monitoring');
      const server = group('a', 'apps');
      server.connections.allowFrom(first.connections, [9998], { byServerLabel: 'scraped-by' });
      server.connections.allowFrom(second.connections, [9998], { byServerLabel: 'scraped-by' });
      expect(server.template[KEY]).toBe('monitoring.9998');
      expect(second.connections.egress).toEqual([bySelector('apps', 'a', [9998])]);
    });

    test('a link the client already has by the server\'s selector, on the same ports', () => {
      const client = group('prometheus', 'monitoring');
      const server = group('a', 'apps');
      server.connections.allowFrom(client.connections, [9093]);
      server.connections.allowFrom(client.connections, [9093], { byServerLabel: 'scraped-by' });
      expect(Object.keys(server.template)).toEqual(['app']);
      expect(client.connections.egress).toEqual([bySelector('apps', 'a', [9093])]);
    });

    test('a label that would be too long', () => {
      const client = group(`p${'x'.repeat(60)}`, 'monitoring');
      const server = group('a', 'apps');
      server.connections.allowFrom(client.connections, [9998], { byServerLabel: 'scraped-by' });
      expect(Object.keys(server.template)).toEqual(['app']);
      expect(client.connections.egress).toEqual([bySelector('apps', 'a', [9998])]);
    });
  });
});
