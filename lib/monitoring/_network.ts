import { k8s } from 'cdk8s-plus-27';

/** Alertmanager's gossip also runs over UDP, which the links of `Connections` (TCP only) do not cover. */
export function udpPort(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'UDP', port: k8s.IntOrString.fromNumber(port) };
}

/** Address ranges as NetworkPolicy peers: the nodes, or anywhere. */
export function addresses(cidrs: readonly string[]): k8s.NetworkPolicyPeer[] {
  return cidrs.map((cidr) => ({ ipBlock: { cidr } }));
}
