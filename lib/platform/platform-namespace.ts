import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { propError } from '../core/errors';
import { platformLabels } from '../core/labels';
import { dns1123Label, labelValue, qualifiedName } from '../core/names';
import { KubeNamespace, KubeNetworkPolicy } from '../synth/kube-objects';

/**
 * Pod Security Standards level enforced on a namespace.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export enum PodSecurityLevel {
  /** Hardened pods: non-root, no privilege escalation, dropped capabilities, seccomp. For application namespaces. */
  RESTRICTED = 'restricted',
  /** Prevents known privilege escalations; allows some host-level settings. */
  BASELINE = 'baseline',
  /** Unrestricted: only for system pieces that need host access, such as the GPU device plugin. */
  PRIVILEGED = 'privileged',
}

/** Props of {@link PlatformNamespace}. */
export interface PlatformNamespaceProps {
  /**
   * Name of the namespace: a DNS-1123 label. Stable: renaming it moves every object in it.
   */
  readonly name: string;
  /**
   * Pod Security Standards level the API server enforces on pods of this namespace.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Whether to add a NetworkPolicy that denies all ingress and egress that no other policy allows.
   * @default true
   */
  readonly defaultDeny?: boolean;
  /**
   * Whether pods may reach the cluster DNS (CoreDNS in `kube-system`) despite the default deny.
   * Only meaningful with `defaultDeny`.
   * @default true
   */
  readonly allowDnsEgress?: boolean;
  /**
   * Extra labels for the namespace, for example a site or a team.
   * @default - only the standard and Pod Security labels
   */
  readonly labels?: { readonly [key: string]: string };
}

/**
 * The Kubernetes version whose Pod Security rules are enforced: pinned, so a cluster upgrade
 * cannot start rejecting pods that ran yesterday; audit and warn follow `latest` to give notice.
 */
const POD_SECURITY_ENFORCE_VERSION = 'v1.27';

/**
 * A namespace with Pod Security admission labels and, by default, a default-deny NetworkPolicy
 * that still allows DNS. Workloads in it add their own explicit allows.
 */
export class PlatformNamespace extends Construct {
  /** The namespace name. */
  public readonly name: string;
  /** The Pod Security level enforced. */
  public readonly podSecurity: PodSecurityLevel;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    validateProps(id, props);
    this.name = props.name;
    this.podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;

    new KubeNamespace(this, 'Resource', {
      metadata: { name: this.name, labels: { ...props.labels, ...platformLabels(), ...this.podSecurityLabels() } },
    });
    if (props.defaultDeny ?? true) {
      this.addDefaultDeny(props.allowDnsEgress ?? true);
    }
  }

  private podSecurityLabels(): Record<string, string> {
    return {
      'pod-security.kubernetes.io/enforce': this.podSecurity,
      'pod-security.kubernetes.io/enforce-version': POD_SECURITY_ENFORCE_VERSION,
      'pod-security.kubernetes.io/audit': this.podSecurity,
      'pod-security.kubernetes.io/audit-version': 'latest',
      'pod-security.kubernetes.io/warn': this.podSecurity,
      'pod-security.kubernetes.io/warn-version': 'latest',
    };
  }

  private addDefaultDeny(allowDnsEgress: boolean): void {
    new KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', namespace: this.name, labels: platformLabels() },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    if (!allowDnsEgress) return;
    new KubeNetworkPolicy(this, 'AllowDns', {
      metadata: { name: 'allow-dns-egress', namespace: this.name, labels: platformLabels() },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          }],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        }],
      },
    });
  }
}

function validateProps(id: string, props: PlatformNamespaceProps): void {
  const nameProblem = dns1123Label(props.name);
  if (nameProblem) {
    throw propError('PlatformNamespace', id, 'name', props.name, `a DNS-1123 label (${nameProblem})`, 'Use lowercase letters, digits and dashes, at most 63 characters.');
  }
  for (const [key, value] of Object.entries(props.labels ?? {})) {
    if (key.startsWith('pod-security.kubernetes.io/')) {
      throw propError('PlatformNamespace', id, `labels.${key}`, value, 'left to podSecurity', "Set 'podSecurity' instead; the construct writes every Pod Security label from it.");
    }
    const problem = qualifiedName(key) ?? labelValue(value);
    if (problem) {
      throw propError('PlatformNamespace', id, `labels.${key}`, value, `a valid Kubernetes label (${problem})`, 'Use a label key and value that follow Kubernetes label syntax.');
    }
  }
}
