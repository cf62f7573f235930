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
