import { ObjectReference, ValidationRule, Violation } from './violation';

type KubeObject = { [key: string]: unknown };

/** The API server's limit on the data of a ConfigMap or Secret (`MaxSecretSize`): 1 MiB. */
export const MAX_DATA_BYTES = 1024 * 1024;

function stringValues(map: unknown): string[] {
  return map !== null && typeof map === 'object' ? Object.values(map).filter((v): v is string => typeof v === 'string') : [];
}

/** Bytes of text values, as UTF-8 (Go's `len` of a string). */
function textBytes(map: unknown): number {
  return stringValues(map).reduce((sum, value) => sum + Buffer.byteLength(value, 'utf8'), 0);
}

/** Bytes of base64 values once decoded, as the API server counts them. */
function decodedBytes(map: unknown): number {
  return stringValues(map).reduce((sum, value) => sum + Buffer.from(value, 'base64').length, 0);
}

/**
 * The data of a ConfigMap (text and binary) or a Secret (decoded, plus `stringData`) must fit in
 * 1 MiB: the API server refuses anything bigger ("Too long: must have at most 1048576 bytes").
 */
export function checkSizes(object: KubeObject, ref: ObjectReference): Violation[] {
  const bytes = object.apiVersion !== 'v1' ? 0
    : object.kind === 'ConfigMap' ? textBytes(object.data) + decodedBytes(object.binaryData)
      : object.kind === 'Secret' ? decodedBytes(object.data) + textBytes(object.stringData)
        : 0;
  if (bytes <= MAX_DATA_BYTES) return [];
  return [{
    rule: ValidationRule.SIZE,
    object: ref,
    path: 'data',
    message: `holds ${bytes.toLocaleString('en-US')} bytes, over the API server's limit of ${MAX_DATA_BYTES.toLocaleString('en-US')} bytes (1 MiB) for the data of a ${String(object.kind)}`,
  }];
}
