import { dns1035Label, dns1123Label } from './names';

/**
 * The one error style of the library:
 * `<Construct> '<id>': '<prop>' (<value>) must be <rule>. <fix>`
 */
export function propError(construct: string, id: string, prop: string, value: unknown, rule: string, fix: string): Error {
  return new Error(`${construct} '${id}': '${prop}' (${showValue(value)}) must be ${rule}. ${fix}`);
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

/** Refuses anything but a whole number of at least `min`. */
export function requireInteger(construct: string, id: string, prop: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw propError(construct, id, prop, value, `an integer >= ${min}`, `Set '${prop}' to a whole number of at least ${min}.`);
  }
}

/** Refuses anything but a DNS-1123 label (namespace names and the like). */
export function requireDnsLabel(construct: string, id: string, prop: string, value: string): void {
  const problem = dns1123Label(value);
  if (problem) throw propError(construct, id, prop, value, `a DNS-1123 label (${problem})`, 'Use lowercase letters, digits and dashes, at most 63 characters.');
}

/**
 * The name of a component's objects, from its `name` prop or else its construct id: a DNS-1035
 * label short enough for the suffixes the component adds. States one limit, the component's own.
 */
export function requireComponentName(construct: string, id: string, name: string | undefined, maxLength: number, example: string): string {
  const resolved = name ?? id;
  const problem = resolved.length > maxLength ? `it has ${resolved.length}` : dns1035Label(resolved);
  if (problem) {
    throw propError(construct, id, name === undefined ? 'name (from the construct id)' : 'name', resolved,
      `a DNS-1035 label of at most ${maxLength} characters (${problem})`, `Pass a 'name' such as '${example}'.`);
  }
  return resolved;
}
