import { IndexedObject, Json, PodTemplate, podTemplates, selectorMatches, namespaceOf } from './_objects';
import { Policy, PolicyFinding } from './policy-finding';

/**
 * What every policy check sees: the objects, their pod templates and what the namespaces allow.
 *
 * Lookups go through indexes built once: the checks compare every Service, budget, autoscaler
 * and NetworkPolicy with the workloads, which scanning the whole object list for each made
 * quadratic (minutes at 10,000 cameras). Every index keeps object order, so findings come out
 * exactly as a scan would produce them.
 */
export class PolicyContext {
  public readonly templates: readonly PodTemplate[];
  /** Namespaces whose Pod Security label says `privileged`: exempt from the restricted profile. */
  public readonly privilegedNamespaces: ReadonlySet<string>;

  private readonly byKind = new Map<string, IndexedObject[]>();
  private readonly workloads = new Map<string, IndexedObject>();
  private readonly autoscalers = new Map<string, IndexedObject[]>();
  private readonly templatesByNamespace = new Map<string, PodTemplate[]>();
  private readonly templatesByLabel = new Map<string, PodTemplate[]>();

  constructor(public readonly objects: readonly IndexedObject[], public readonly gpuCapacity?: number) {
    this.templates = podTemplates(objects);
    this.privilegedNamespaces = new Set(objects
      .filter((o) => o.json.kind === 'Namespace' && o.json.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged')
      .map((o) => o.json.metadata.name as string));
    for (const object of objects) {
      append(this.byKind, object.json.kind, object);
      const key = workloadKey(namespaceOf(object), object.json.kind, object.json.metadata?.name);
      if (!this.workloads.has(key)) this.workloads.set(key, object);
      if (object.json.kind === 'HorizontalPodAutoscaler' || object.json.kind === 'ScaledObject') {
        append(this.autoscalers, workloadKey(namespaceOf(object), object.json.kind, object.json.spec?.scaleTargetRef?.name), object);
      }
    }
    for (const template of this.templates) {
      append(this.templatesByNamespace, template.namespace, template);
      for (const [key, value] of Object.entries(template.labels)) append(this.templatesByLabel, labelKey(template.namespace, key, value), template);
    }
  }

  ofKind(...kinds: string[]): IndexedObject[] {
    if (kinds.length === 1) return [...(this.byKind.get(kinds[0]) ?? [])];
    return this.objects.filter((o) => kinds.includes(o.json.kind));
  }

  /** The first object of a kind by namespace and name: workloads for autoscaler and budget targets, claims for volumes. */
  workload(namespace: string, kind: string, name: string): IndexedObject | undefined {
    return this.workloads.get(workloadKey(namespace, kind, name));
  }

  /** HorizontalPodAutoscalers or ScaledObjects of a namespace whose target has this name, in object order. */
  autoscalersOf(kind: 'HorizontalPodAutoscaler' | 'ScaledObject', namespace: string, targetName: string): readonly IndexedObject[] {
    return this.autoscalers.get(workloadKey(namespace, kind, targetName)) ?? [];
  }

  /** The pod templates of a namespace, in object order. */
  templatesIn(namespace: string): readonly PodTemplate[] {
    return this.templatesByNamespace.get(namespace) ?? [];
  }

  /**
   * The pod templates of a namespace that a selector (a plain label map or a LabelSelector)
   * selects, in object order. Only templates carrying one of its labels are compared.
   */
  templatesSelectedBy(namespace: string, selector: Json | undefined, plainMap: boolean): PodTemplate[] {
    const required: Record<string, unknown> = (plainMap ? selector : selector?.matchLabels) ?? {};
    const candidates = Object.entries(required)
      .map(([key, value]) => this.templatesByLabel.get(labelKey(namespace, key, value)) ?? [])
      .reduce<readonly PodTemplate[] | undefined>((fewest, list) => (fewest === undefined || list.length < fewest.length ? list : fewest), undefined);
    const matches = plainMap
      ? (t: PodTemplate) => Object.entries(required).every(([k, v]) => t.labels[k] === v)
      : (t: PodTemplate) => selectorMatches(selector, t.labels);
    return (candidates ?? this.templatesIn(namespace)).filter(matches);
  }

  finding(policy: Policy, object: IndexedObject, message: string, fix: string): PolicyFinding {
    return { policy, constructPath: object.constructPath, object: object.ref, message, fix };
  }
}


/** Keys that tell a missing or non-string kind or name apart from any string, as `===` does. */
function workloadKey(namespace: string, kind: unknown, name: unknown): string {
  return `${namespace}\0${keyPart(kind)}\0${keyPart(name)}`;
}

function keyPart(value: unknown): string {
  return typeof value === 'string' ? `"${value}` : `#${typeof value}:${JSON.stringify(value)}`;
}

/** Values are compared as strings here, so a list may hold more templates than match, never fewer. */
function labelKey(namespace: string, key: string, value: unknown): string {
  return `${namespace}\0${key}\0${String(value)}`;
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
