/**
 * Regenerates `lib/synth/validation/k8s-schema.json`, the structural JSON Schema of the core
 * Kubernetes kinds the validator accepts:
 *   npm run generate-k8s-schema
 *
 * Source: the type declarations of `kubernetes-models` 4.5.1, which are generated from the
 * Kubernetes 1.27.1 OpenAPI document. Each interface becomes a definition with its exact
 * field names, its required fields and `additionalProperties: false`, so that unknown fields
 * are rejected as an API server with strict field validation rejects them. Formats (int32,
 * quantities) are left to the compiled validators that ship with `kubernetes-models`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** Kinds the validator knows; an object of any other core kind is refused as unknown. */
const CORE_KINDS: ReadonlyArray<[apiVersion: string, kind: string]> = [
  ['v1', 'ConfigMap'],
  ['v1', 'LimitRange'],
  ['v1', 'Namespace'],
  ['v1', 'PersistentVolumeClaim'],
  ['v1', 'Pod'],
  ['v1', 'ResourceQuota'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['apps/v1', 'DaemonSet'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['batch/v1', 'CronJob'],
  ['batch/v1', 'Job'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['node.k8s.io/v1', 'RuntimeClass'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['scheduling.k8s.io/v1', 'PriorityClass'],
  ['storage.k8s.io/v1', 'StorageClass'],
];

type Schema = Record<string, unknown>;

function modulePathOf(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

class SchemaWriter {
  readonly definitions: Record<string, Schema> = {};

  constructor(private readonly checker: ts.TypeChecker, private readonly nodeModules: string) {}

  /** A definition name from the declaring file, e.g. `kubernetes-models.apps.v1.DeploymentSpec` (no '/': it is a JSON pointer segment). */
  definitionName(symbol: ts.Symbol): string {
    const file = symbol.declarations![0].getSourceFile().fileName;
    return path.relative(this.nodeModules, file).replace(/\.d\.ts$/, '').split(path.sep).join('.');
  }

  refTo(type: ts.Type): Schema {
    const symbol = type.getSymbol()!;
    const name = this.definitionName(symbol);
    if (!(name in this.definitions)) {
      this.definitions[name] = {}; // placeholder first: the API has recursive types
      this.definitions[name] = this.objectSchema(type);
    }
    return { $ref: `#/definitions/${name}` };
  }

  schemaOf(type: ts.Type): Schema {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) return {};
    if (type.isStringLiteral()) return { const: type.value };
    if (type.flags & ts.TypeFlags.String) return { type: 'string' };
    if (type.flags & ts.TypeFlags.Number) return { type: 'number' };
    if (type.flags & ts.TypeFlags.Boolean) return { type: 'boolean' };
    if (type.isUnion()) return this.unionSchema(type);
    if (this.checker.isArrayType(type)) {
      const [item] = this.checker.getTypeArguments(type as ts.TypeReference);
      return { type: 'array', items: this.schemaOf(item) };
    }
    if (type.flags & ts.TypeFlags.Object) {
      const symbol = type.getSymbol();
      const named = symbol && (symbol.flags & ts.SymbolFlags.Interface) !== 0;
      return named ? this.refTo(type) : this.objectSchema(type);
    }
    throw new Error(`unsupported type ${this.checker.typeToString(type)}`);
  }

  private unionSchema(type: ts.UnionType): Schema {
    const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (members.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
    if (members.every((t) => t.isStringLiteral())) {
      return { enum: members.map((t) => (t as ts.StringLiteralType).value).sort() };
    }
    if (members.length === 1) return this.schemaOf(members[0]);
    return { anyOf: members.map((t) => this.schemaOf(t)) };
  }

  private objectSchema(type: ts.Type): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const property of this.checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations![0];
      properties[property.name] = this.schemaOf(this.checker.getTypeOfSymbolAtLocation(property, declaration));
      if (!(property.flags & ts.SymbolFlags.Optional)) required.push(property.name);
    }
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    const schema: Schema = { type: 'object' };
    if (Object.keys(properties).length > 0) schema.properties = properties;
    if (required.length > 0) schema.required = required.sort();
    schema.additionalProperties = index ? this.schemaOf(index.type) : false;
    return schema;
  }
}

function exportedInterface(checker: ts.TypeChecker, file: ts.SourceFile, name: string): ts.Type {
  const moduleSymbol = checker.getSymbolAtLocation(file)!;
  const symbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
  if (!symbol) throw new Error(`${file.fileName} exports no ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

function main(): void {
  const root = path.resolve(__dirname, '..');
  const nodeModules = path.join(root, 'node_modules');
  const files = CORE_KINDS.map(([apiVersion, kind]) =>
    require.resolve(modulePathOf(apiVersion, kind), { paths: [root] }).replace(/\.js$/, '.d.ts'));
  const program = ts.createProgram(files, { strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const writer = new SchemaWriter(checker, nodeModules);
  const kinds: Record<string, Schema> = {};
  CORE_KINDS.forEach(([apiVersion, kind], i) => {
    const type = exportedInterface(checker, program.getSourceFile(files[i])!, `I${kind}`);
    kinds[`${apiVersion}/${kind}`] = writer.refTo(type);
  });
  const sortedDefinitions = Object.fromEntries(Object.entries(writer.definitions).sort(([a], [b]) => a.localeCompare(b)));
  const out = { source: 'kubernetes-models@4.5.1 (Kubernetes 1.27.1 OpenAPI)', kinds, definitions: sortedDefinitions };
  fs.writeFileSync(path.join(root, 'lib', 'synth', 'validation', 'k8s-schema.json'), JSON.stringify(out) + '\n');
}

main();
