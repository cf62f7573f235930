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
