/**
 * What manifest validation costs, before and after it validated objects instead of re-reading
 * YAML, and what receipts save the `cdk8s synth` validation plugin. Figures, not assertions.
 *
 * For each size (cameras), on the bench platform (bench/platform.ts, a LayeredApp):
 * 1. in-process validation of the files LayeredApp writes, each variant cold, in a process of its
 *    own (the platform is built and serialized first, untimed):
 *    - text: `ManifestValidator.validateYaml` of each file's text, what LayeredApp did before;
 *    - objects: `ManifestValidator.validateObjects` of each file's objects, what it does now;
 * 2. the validation plugin on the written files, cold, in a process of its own as cdk8s-cli runs
 *    it (loading the plugin included):
 *    - with receipts: the files as `LayeredApp.synth()` wrote them, receipts beside in the cache;
 *    - without: `trustReceipts: false`, every file read and validated, what the plugin did before.
 * Each line also gives the CPU time: the machine may be busy with other work.
 *
 * Usage: node -r ./scripts/register-ts.js bench/validation.bench.ts [cameras ...]  (default 1000)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// Types only: a child that times the plugin must load the library the way cdk8s-cli does, cold.
import type { ApiObject, Chart } from 'cdk8s';
import type * as LayeredAppModule from '../lib/synth/layered-app';
import type { ManifestFile } from '../lib/synth/layered-app';
import type * as PluginModule from '../lib/synth/validation/cdk8s-plugin';
import type * as ValidatorModule from '../lib/synth/validation/manifest-validator';
import type { ValidationResult } from '../lib/synth/validation/manifest-validator';
import type * as PlatformModule from './platform';
import type * as ApplyOrderModule from '../lib/synth/apply-order';

/* eslint-disable @typescript-eslint/no-require-imports */
const layeredApp = (): typeof LayeredAppModule => require('../lib/synth/layered-app') as typeof LayeredAppModule;
const validator = (): typeof ValidatorModule => require('../lib/synth/validation/manifest-validator') as typeof ValidatorModule;
const platform = (): typeof PlatformModule => require('./platform') as typeof PlatformModule;
const applyOrder = (): typeof ApplyOrderModule => require('../lib/synth/apply-order') as typeof ApplyOrderModule;
const pluginModule = (): typeof PluginModule => require('../plugins/manifest-validation') as typeof PluginModule;
/* eslint-enable @typescript-eslint/no-require-imports */

const REGISTER_TS = path.join(__dirname, '..', 'scripts', 'register-ts.js');

/** One timed step, as a child prints it. */
interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly objects: number;
  readonly violations: number;
  readonly bytes?: number;
}

function timed(body: () => { objects: number; violations: number; bytes?: number }): Timing {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = body();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, ...result };
}

function total(results: readonly ValidationResult[]): { objects: number; violations: number } {
  return { objects: results.reduce((n, r) => n + r.objectCount, 0), violations: results.reduce((n, r) => n + r.violations.length, 0) };
}

/** The files LayeredApp writes, unvalidated, with the objects each was serialized from. */
function filesWithObjects(cameras: number): Array<ManifestFile & { objects: unknown[] }> {
  const { LayeredApp, serializeManifests } = layeredApp();
  const app = new LayeredApp({ outdir: path.join(os.tmpdir(), 'validation-bench-unused'), validate: false });
  platform().buildBenchPlatform(app, cameras);
  const files = app.synthFiles()!;
  const objects = app.charts.map((chart) => applyOrder().inApplyOrder(objectsOf(chart).map((o) => o.toJson())));
  // The objects are those of the text, byte for byte, or the comparison would be meaningless.
  files.forEach((file, i) => {
    if (serializeManifests(objects[i]) !== file.yaml) throw new Error(`bench: the objects of ${file.path} are not those LayeredApp wrote`);
  });
  return files.map((file, i) => ({ ...file, objects: objects[i] }));
}

function objectsOf(chart: Chart): ApiObject[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ApiObject: ApiObjectClass } = require('cdk8s') as typeof import('cdk8s');
  return chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObjectClass);
}

/** Child: in-process validation of one variant, cold. */
function inProcess(cameras: number, variant: string): Timing {
  const files = filesWithObjects(cameras);
  const bytes = files.reduce((n, file) => n + Buffer.byteLength(file.yaml), 0);
  const { ManifestValidator } = validator();
  const timing = variant === 'text'
    ? timed(() => total(files.map((file) => ManifestValidator.validateYaml(file.yaml, file.path))))
    : timed(() => total(files.map((file) => ManifestValidator.validateObjects(file.objects, { source: file.path }))));
  return { ...timing, bytes };
}

/** Child: writes the platform's files as `LayeredApp.synth()` does (synthFiles, then writeFiles), receipts included. */
function write(cameras: number, outdir: string): Timing {
  const { LayeredApp } = layeredApp();
  const app = new LayeredApp({ outdir });
  platform().buildBenchPlatform(app, cameras);
  return timed(() => {
    const files = app.synthFiles()!;
    fs.mkdirSync(outdir, { recursive: true });
    LayeredApp.writeFiles(files);
    return { objects: files.reduce((n, file) => n + (file.validatedObjects ?? 0), 0), violations: 0 };
  });
}

/** Child: the plugin on the written files, loaded cold as cdk8s-cli loads it. */
function plugin(outdir: string, trustReceipts: boolean): Timing {
  const manifests = fs.readdirSync(outdir).sort().map((file) => path.join(outdir, file));
  let metadata: { [key: string]: string } = {};
  const timing = timed(() => {
    const { ManifestValidationPlugin } = pluginModule();
    void new ManifestValidationPlugin({ trustReceipts }).validate({ manifests, report: { addViolation: () => undefined, submit: (_status, m) => { metadata = m ?? {}; } } });
    return { objects: Number(metadata.objects), violations: Number(metadata.violations) };
  });
  return { ...timing, bytes: manifests.reduce((n, file) => n + fs.statSync(file).size, 0) };
}

function child(args: readonly string[]): Timing {
  const result = spawnSync(process.execPath, ['--max-old-space-size=8192', '-r', REGISTER_TS, __filename, '--child', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`bench child ${args.join(' ')} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Timing;
}

function line(label: string, timing: Timing): string {
  const figures = `${Math.round(timing.wallMs).toLocaleString('en-US').padStart(8)} ms  (CPU ${Math.round(timing.cpuMs).toLocaleString('en-US').padStart(7)} ms)`;
  return `  ${label.padEnd(46)}${figures}  ${timing.objects.toLocaleString('en-US')} objects, ${timing.violations} violations`;
}

function main(sizes: readonly number[]): void {
  for (const cameras of sizes) {
    const text = child(['in-process', String(cameras), 'text']);
    const objects = child(['in-process', String(cameras), 'objects']);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-bench-'));
    try {
      const written = child(['write', String(cameras), outdir]);
      const withReceipts = child(['plugin', outdir, 'receipts']);
      const withoutReceipts = child(['plugin', outdir, 'full']);
      console.log(`${cameras.toLocaleString('en-US')} cameras: ${objects.objects.toLocaleString('en-US')} objects, ${((text.bytes ?? 0) / 1024 / 1024).toFixed(1)} MiB of YAML`);
      console.log(line('in-process validation, text (before)', text));
      console.log(line('in-process validation, objects (after)', objects));
      console.log(`  ${'speed-up'.padEnd(46)}${(text.wallMs / objects.wallMs).toFixed(1).padStart(8)} x`);
      console.log(line('LayeredApp.synth() (validate, write, receipts)', written));
      console.log(line('plugin, every file read (before)', withoutReceipts));
      console.log(line('plugin, receipts (after)', withReceipts));
      console.log(`  ${'speed-up'.padEnd(46)}${(withoutReceipts.wallMs / withReceipts.wallMs).toFixed(1).padStart(8)} x`);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  const [, mode, a, b] = args;
  const timing = mode === 'in-process' ? inProcess(Number(a), b)
    : mode === 'write' ? write(Number(a), b)
      : plugin(a, b === 'receipts');
  process.stdout.write(`${JSON.stringify(timing)}\n`);
} else {
  main(args.length > 0 ? args.map(Number) : [1000]);
}
