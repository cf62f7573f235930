import { IndexedObject, PodTemplate, podTemplates } from './_objects';
import { Policy, PolicyFinding } from './policy-finding';

/** What every policy check sees: the objects, their pod templates and what the namespaces allow. */
export class PolicyContext {
  public readonly templates: readonly PodTemplate[];
  /** Namespaces whose Pod Security label says `privileged`: exempt from the restricted profile. */
  public readonly privilegedNamespaces: ReadonlySet<string>;

  constructor(public readonly objects: readonly IndexedObject[], public readonly gpuCapacity?: number) {
    this.templates = podTemplates(objects);
    this.privilegedNamespaces = new Set(objects
      .filter((o) => o.json.kind === 'Namespace' && o.json.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged')
      .map((o) => o.json.metadata.name as string));
  }

  ofKind(...kinds: string[]): IndexedObject[] {
    return this.objects.filter((o) => kinds.includes(o.json.kind));
  }

  /** Workloads (not bare pods) by namespace and name, for autoscaler and budget targets. */
  workload(namespace: string, kind: string, name: string): IndexedObject | undefined {
    return this.objects.find((o) => o.json.kind === kind && o.json.metadata?.name === name && (o.json.metadata?.namespace ?? 'default') === namespace);
  }

  finding(policy: Policy, object: IndexedObject, message: string, fix: string): PolicyFinding {
    return { policy, constructPath: object.constructPath, object: object.ref, message, fix };
  }
}
