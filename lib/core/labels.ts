import { spreadOf } from './spread';

/** Every object the library creates is part of this application. */
export const PART_OF = 'video-analytics';
/** Tells operators which tool wrote an object, so they edit the TypeScript, not the cluster. */
export const MANAGED_BY = 'cdk8s-video-analytics';

/** The recommended label keys of the stable selector subset. */
export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** What identifies a component's pods; selectors are built from it and never change. */
export interface ComponentIdentity {
  /** `app.kubernetes.io/name`, e.g. `mediamtx`. */
  readonly name: string;
  /** `app.kubernetes.io/instance`, unique per installation of the component. */
  readonly instance: string;
  /** `app.kubernetes.io/component`, e.g. `stream-ingest`. */
  readonly component: string;
  /** `app.kubernetes.io/version`: in labels, never in selectors. */
  readonly version?: string;
}

/** The stable subset used in selectors: it must not change once released (selectors are immutable). */
export function selectorLabels(identity: ComponentIdentity): Record<string, string> {
  return {
    [NAME_LABEL]: identity.name,
    [INSTANCE_LABEL]: identity.instance,
    [COMPONENT_LABEL]: identity.component,
  };
}

/** The recommended Kubernetes labels for any object of a component. */
export function standardLabels(identity: ComponentIdentity): Record<string, string> {
  return spreadOf(selectorLabels(identity), {
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  }, identity.version ? { 'app.kubernetes.io/version': identity.version } : {});
}

/** Labels for objects that belong to the platform as a whole, such as namespaces. */
export function platformLabels(): Record<string, string> {
  return { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY };
}
