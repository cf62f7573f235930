import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ComponentIdentity, selectorLabels, standardLabels } from '../core/labels';
import { KubeNetworkPolicy } from '../synth/kube-objects';

export function tcp(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) };
}

export function udp(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'UDP', port: k8s.IntOrString.fromNumber(port) };
}

/** Pods with these labels in the policy's own namespace. */
export function podsHere(labels: Readonly<Record<string, string>>): k8s.NetworkPolicyPeer {
  return { podSelector: { matchLabels: { ...labels } } };
}

/** Every pod of a namespace, or only those with `labels`. */
export function podsIn(namespace: string, labels?: Readonly<Record<string, string>>): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
    podSelector: labels ? { matchLabels: { ...labels } } : undefined,
  };
}

export function addresses(cidrs: readonly string[]): k8s.NetworkPolicyPeer[] {
  return cidrs.map((cidr) => ({ ipBlock: { cidr } }));
}

/** One policy per component, selecting exactly its pods; the namespace's default deny does the rest. */
export function addComponentPolicy(scope: Construct, namespace: string, identity: ComponentIdentity,
  rules: { ingress: k8s.NetworkPolicyIngressRule[]; egress: k8s.NetworkPolicyEgressRule[] }): k8s.KubeNetworkPolicy {
  return new KubeNetworkPolicy(scope, 'network-policy', {
    metadata: { name: identity.name, namespace, labels: standardLabels(identity) },
    spec: {
      podSelector: { matchLabels: selectorLabels(identity) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: rules.ingress,
      egress: rules.egress,
    },
  });
}
