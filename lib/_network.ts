import { k8s } from 'cdk8s-plus-27';

export function tcpPort(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) };
}

/** Pods selected by labels, in `namespace`; a NetworkPolicy peer without a namespaceSelector means its own namespace. */
export function podsPeer(podSelector: { readonly [key: string]: string }, namespace: string, policyNamespace: string): k8s.NetworkPolicyPeer {
  const pods = { podSelector: { matchLabels: { ...podSelector } } };
  return namespace === policyNamespace ? pods : { ...pods, namespaceSelector: namespaceSelector(namespace) };
}

/** Every pod of a namespace, by the label the API server sets on every namespace. */
export function namespacePeer(namespace: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(namespace) };
}

function namespaceSelector(namespace: string): k8s.LabelSelector {
  return { matchLabels: { 'kubernetes.io/metadata.name': namespace } };
}

/** An IPv4 CIDR with octets up to 255 and a prefix up to 32, or an IPv6 CIDR: the API server refuses other ipBlocks. */
export function isCidr(cidr: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32;
  const v6 = /^[0-9a-fA-F:]+\/(\d{1,3})$/.exec(cidr);
  return v6 !== null && cidr.split('::').length <= 2 && Number(v6[1]) <= 128;
}

/** An IP address or a CIDR, as MediaMTX and ipBlocks accept them. */
export function isAddressOrCidr(value: string): boolean {
  return isCidr(value) || isCidr(`${value}/${value.includes(':') ? 128 : 32}`);
}
