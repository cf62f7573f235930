/**
 * Regenerates `imports/` from upstream CRD files:
 *   npm run import-crds -- <folder with the upstream CRD YAML files>
 *
 * Two outputs, both generated and committed, never edited by hand:
 * - `imports/<group>.ts`: typed cdk8s classes, written by `cdk8s import`;
 * - `imports/crd-schemas.json`: the `openAPIV3Schema` of every served version, which the
 *   manifest validator needs at run time (consumers of the npm package have no CRD files).
 *
 * `cdk8s import` writes one file per API group and overwrites it for each CRD of the same
 * group, so the CRDs of one group are imported together from a temporary multi-document file.
 *
 * The typed classes of the ApplicationSet know only the generator kinds the library emits (see
 * `TYPED_APPLICATIONSET_GENERATORS`); `crd-schemas.json` keeps every CRD's whole schema, so that the
 * validator judges any ApplicationSet as the API server would.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';

/** The CRDs the library emits objects of; nothing else is imported. */
const WANTED_CRDS = [
  'monitoring.coreos.com_servicemonitors.yaml',
  'monitoring.coreos.com_podmonitors.yaml',
  'monitoring.coreos.com_prometheusrules.yaml',
  'keda.sh_scaledobjects.yaml',
  'helm.cattle.io_helmcharts.yaml',
  'helm.cattle.io_helmchartconfigs.yaml',
  'upgrade.cattle.io_plans.yaml',
  'argoproj.io_applications.yaml',
  'argoproj.io_applicationsets.yaml',
];

/**
 * The ApplicationSet generator kinds the library emits, the only ones its typed class offers. Each
 * kind repeats the whole Application template, and `matrix` and `merge` nest all kinds again: typed
 * in full, the CRD came to 3.5 MB of TypeScript and made every type check 4 seconds slower.
 */
const TYPED_APPLICATIONSET_GENERATORS = ['list'];

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; [key: string]: unknown };
interface CrdVersion { name: string; served: boolean; schema?: { openAPIV3Schema?: JsonSchema } }
interface Crd { spec: { group: string; names: { kind: string }; versions: CrdVersion[] } }

function readCrds(file: string): Crd[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as Crd)
    .filter((crd) => crd?.spec?.group !== undefined);
}

function servedSchemas(crds: Crd[]): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const crd of crds) {
    for (const version of crd.spec.versions.filter((v) => v.served)) {
      const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
      schemas[key] = version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
  }
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
}

/** The CRD as its typed class should see it: an ApplicationSet without the generator kinds never emitted. */
function typedSubset(crd: Crd): Crd {
  if (crd.spec.group !== 'argoproj.io' || crd.spec.names.kind !== 'ApplicationSet') return crd;
  const copy = structuredClone(crd);
  for (const version of copy.spec.versions) {
    const generators = version.schema?.openAPIV3Schema?.properties?.spec?.properties?.generators?.items;
    if (!generators?.properties) throw new Error(`ApplicationSet ${version.name}: no spec.generators[] in the schema`);
    const kinds = generators.properties;
    for (const kind of TYPED_APPLICATIONSET_GENERATORS) {
      if (!kinds[kind]) throw new Error(`ApplicationSet ${version.name}: no generator kind '${kind}' in the schema`);
    }
    generators.properties = Object.fromEntries(Object.entries(kinds).filter(([kind]) => TYPED_APPLICATIONSET_GENERATORS.includes(kind)));
  }
  return copy;
}

function importGroup(group: string, crds: Crd[], outdir: string, tmp: string): void {
  const combined = path.join(tmp, `${group}.yaml`);
  fs.writeFileSync(combined, crds.map((crd) => stringify(typedSubset(crd))).join('---\n'));
  // Run from the temporary folder: `cdk8s import` records every import in the cdk8s.yaml of its
  // working directory, and the project's cdk8s.yaml must not name a temporary file.
  const cli = path.resolve(__dirname, '..', 'node_modules', '.bin', 'cdk8s');
  execFileSync(cli, ['import', combined, '--language', 'typescript', '--output', outdir], {
    cwd: tmp,
    stdio: 'inherit',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
}

function main(): void {
  const crdDir = process.argv[2];
  if (!crdDir) {
    throw new Error('usage: npm run import-crds -- <folder with the upstream CRD YAML files>');
  }
  const outdir = path.resolve(__dirname, '..', 'imports');
  const files = WANTED_CRDS.map((name) => path.join(crdDir, name));
  const byGroup = new Map<string, Crd[]>();
  const crds: Crd[] = [];
  for (const file of files) {
    const fileCrds = readCrds(file);
    crds.push(...fileCrds);
    const group = fileCrds[0].spec.group;
    byGroup.set(group, [...(byGroup.get(group) ?? []), ...fileCrds]);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'import-crds-'));
  try {
    for (const [group, groupCrds] of byGroup) {
      importGroup(group, groupCrds, outdir, tmp);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(outdir, 'crd-schemas.json'), JSON.stringify(servedSchemas(crds)) + '\n');
}

main();
