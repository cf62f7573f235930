/** Name and label rules of the Kubernetes API server: each returns what is wrong, or undefined. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;


export function dns1123Label(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return DNS1123_LABEL.test(value) ? undefined
    : "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit";
}

export function dns1123Subdomain(value: string): string | undefined {
  if (value.length > 253) return 'must be no more than 253 characters';
  return DNS1123_SUBDOMAIN.test(value) ? undefined
    : "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
}

export function dns1035Label(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return DNS1035_LABEL.test(value) ? undefined
    : "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit";
}


/** IANA service name, the rule for container port names and named target ports. */
export function ianaServiceName(value: string): string | undefined {
  if (value.length > 15) return 'must be no more than 15 characters';
  if (!IANA_SVC_NAME.test(value)) return "must contain only lowercase letters, digits and '-', starting and ending with a letter or digit";
  if (value.includes('--')) return "must not contain consecutive '-'";
  return /[a-z]/.test(value) ? undefined : 'must contain at least one letter';
}

/**
 * A key of a Secret's or ConfigMap's data, as the API server checks it wherever a key is referenced
 * (secretKeyRef, volume items): `.`, `..` and keys starting with `..` are refused.
 */
export function secretDataKey(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) return "must consist of letters, digits, '-', '_' or '.'";
  return value === '.' || value.startsWith('..') ? "must not be '.' or start with '..'" : undefined;
}

/** Label and annotation keys: an optional DNS subdomain prefix, '/', and a name of at most 63 characters. */
export function qualifiedName(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return "may contain at most one '/'";
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'prefix must not be empty';
    const prefixProblem = dns1123Subdomain(prefix);
    if (prefixProblem) return `prefix ${prefixProblem}`;
  }
  if (name.length === 0) return 'name part must not be empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  return QUALIFIED_NAME_PART.test(name) ? undefined
    : "name part must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
}

export function labelValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 63) return 'must be no more than 63 characters';
  return value === '' || QUALIFIED_NAME_PART.test(value) ? undefined
    : "must be empty or consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
}
