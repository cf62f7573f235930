import type { CST, Document } from 'yaml';
import { yamlPackage } from '../../core/yaml-package';
import { jsonPath } from './violation';

type Path = ReadonlyArray<string | number>;

export interface YamlDocument {
  /** The document read with YAML 1.2 rules, as cdk8s meant it. */
  readonly value: unknown;
  /** Where YAML 1.1 readers (kubectl, Argo CD, PyYAML) see something else. */
  readonly differences: ReadonlyArray<{ path: string; message: string }>;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

function compare(a: unknown, b: unknown, path: Path, out: Array<{ path: string; message: string }>): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    a.forEach((item, i) => compare(item, b[i], [...path, i], out));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const mapA = a as Record<string, unknown>;
    const mapB = b as Record<string, unknown>;
    for (const key of Object.keys(mapA)) {
      if (!(key in mapB)) {
        out.push({ path: jsonPath([...path, key]), message: `key "${key}" is read as a different key (${Object.keys(mapB).filter((k) => !(k in mapA)).map(describe).join(', ')}) by YAML 1.1; quote it` });
      } else {
        compare(mapA[key], mapB[key], [...path, key], out);
      }
    }
    return;
  }
  if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
    out.push({ path: jsonPath(path), message: `${describe(a)} is read as ${describe(b)} by YAML 1.1; quote it` });
  }
}

/**
 * Composes the documents of already parsed tokens, as `parseAllDocuments(text, { version })` does
 * (without pretty errors): parsing the text into tokens does not depend on the YAML version, so
 * both readings share one parse.
 */
function compose(tokens: readonly CST.Token[], version: '1.1' | '1.2'): Document[] {
  return Array.from(new (yamlPackage().Composer)({ version, uniqueKeys: true }).compose(tokens));
}

/**
 * Reads a multi-document YAML text twice, with YAML 1.2 and with YAML 1.1 rules, and reports
 * every scalar or key whose meaning differs (`on`, `y`, `no`, `0755`, `1:30` and friends).
 * Parse errors, duplicate keys included, are thrown: an API server would refuse them too.
 */
export function readYamlDocuments(text: string, source = 'input'): YamlDocument[] {
  const tokens = Array.from(new (yamlPackage().Parser)().parse(text));
  const modern = compose(tokens, '1.2');
  const legacy = compose(tokens, '1.1');
  return modern.flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`);
    const value = doc.toJS({ maxAliasCount: 0 }) as unknown;
    if (value === null || value === undefined) return [];
    const differences: Array<{ path: string; message: string }> = [];
    compare(value, legacy[i].toJS({ maxAliasCount: 0 }), [], differences);
    return [{ value, differences }];
  });
}
