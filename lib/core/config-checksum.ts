import { createHash } from 'crypto';

/**
 * SHA-256 over the keys and values of a ConfigMap's data, in key order: put in a pod template
 * annotation, it rolls the pods exactly when their configuration changes.
 */
export function configChecksum(data: { readonly [key: string]: string }): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(data).sort()) hash.update(`${key}\0${data[key]}\0`);
  return hash.digest('hex');
}
