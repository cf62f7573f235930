import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { JsonOf } from '../json-validation';
import { ObjectReference } from '../validation/violation';

/**
 * Synthesized JSON of any kind: the policies read fields that differ from kind to kind, and a
 * missing field is an answer (`undefined`), not an error.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = { [key: string]: any };

/** A synthesized object and the construct that made it. */
export interface IndexedObject {
  readonly json: Json;
  readonly constructPath: string;
  readonly ref: ObjectReference;
}

/** A pod template of a workload (or a bare Pod), with what the policies ask of it. */
export interface PodTemplate {
  readonly owner: IndexedObject;
  readonly namespace: string;
  readonly labels: { readonly [key: string]: string };
  readonly spec: Json;
}

const WORKLOAD_TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/**
 * Every ApiObject under `scope` (of the given kinds only, when `kinds` is given), as JSON (read
 * with `jsonOf`), with its construct path. Filtering by kind first spares serializing the rest.
 */
export function indexObjects(scope: IConstruct, jsonOf: JsonOf, kinds?: ReadonlySet<string>): IndexedObject[] {
  return scope.node.findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && (kinds === undefined || kinds.has(c.kind)))
    .map((o) => {
      const json = jsonOf(o) as Json;
      return {
        json,
        constructPath: o.node.path,
        ref: { apiVersion: json.apiVersion, kind: json.kind, namespace: json.metadata?.namespace, name: json.metadata?.name },
      };
    });
}

function dig(json: Json, path: readonly string[]): Json | undefined {
  return path.reduce<Json | undefined>((node, key) => node?.[key], json);
}

/** The namespace an object lands in: the API server puts an object without one in `default`. */
export function namespaceOf(object: IndexedObject): string {
  return object.json.metadata?.namespace ?? 'default';
}

export function podTemplates(objects: readonly IndexedObject[]): PodTemplate[] {
  return objects.flatMap((owner) => {
    const namespace = owner.json.metadata?.namespace ?? 'default';
    if (owner.json.kind === 'Pod') return [{ owner, namespace, labels: owner.json.metadata?.labels ?? {}, spec: owner.json.spec ?? {} }];
    const path = WORKLOAD_TEMPLATE_PATHS[owner.json.kind];
    const template = path ? dig(owner.json, path) : undefined;
    return template ? [{ owner, namespace, labels: template.metadata?.labels ?? {}, spec: template.spec ?? {} }] : [];
  });
}

export function allContainers(spec: Json): Json[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** Whether a LabelSelector (matchLabels and matchExpressions) selects these labels. */
export function selectorMatches(selector: Json | undefined, labels: { readonly [key: string]: string }): boolean {
  if (!selector) return false;
  const matchLabels: Record<string, string> = selector.matchLabels ?? {};
  if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
  return (selector.matchExpressions ?? []).every((e: Json) => expressionMatches(e, labels));
}

function expressionMatches(expression: Json, labels: { readonly [key: string]: string }): boolean {
  const value = labels[expression.key];
  switch (expression.operator) {
    case 'In': return value !== undefined && (expression.values ?? []).includes(value);
    case 'NotIn': return value === undefined || !(expression.values ?? []).includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    default: return false;
  }
}

/** Whether a plain label map (a Service selector) selects these labels. */
export function mapSelects(selector: { readonly [key: string]: string }, labels: { readonly [key: string]: string }): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
