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
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

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
];

interface CrdVersion { name: string; served: boolean; schema?: { openAPIV3Schema?: unknown } }
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

function importGroup(group: string, files: string[], outdir: string, tmp: string): void {
  const combined = path.join(tmp, `${group}.yaml`);
  fs.writeFileSync(combined, files.map((f) => fs.readFileSync(f, 'utf8')).join('\n---\n'));
  execFileSync('npx', ['cdk8s', 'import', combined, '--language', 'typescript', '--output', outdir], {
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
  const byGroup = new Map<string, string[]>();
  const crds: Crd[] = [];
  for (const file of files) {
    const fileCrds = readCrds(file);
    crds.push(...fileCrds);
    const group = fileCrds[0].spec.group;
    byGroup.set(group, [...(byGroup.get(group) ?? []), file]);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'import-crds-'));
  try {
    for (const [group, groupFiles] of byGroup) {
      importGroup(group, groupFiles, outdir, tmp);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(outdir, 'crd-schemas.json'), JSON.stringify(servedSchemas(crds)) + '\n');
}

main();
