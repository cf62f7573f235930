/**
 * Times the manifest emitter (lib/synth/yaml/emitter.ts) against the `yaml` package with cdk8s's
 * options, on the bench platform's objects, in the same process: a few alternating repetitions of
 * each, medians printed, outputs compared byte for byte.
 *
 * Usage: node -r ./scripts/register-ts.js bench/yaml-emitter.bench.ts [cameras] [repetitions]
 */
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App } from 'cdk8s';
import { stringify } from 'yaml';
import { LayeredApp } from '../lib/synth/layered-app';
import { fastPathYaml, stringifyManifests } from '../lib/synth/yaml/emitter';
import { buildBenchPlatform } from './platform';

const DEFAULT_CAMERAS = 1000;
const DEFAULT_REPETITIONS = 5;

/** cdk8s's `Yaml.stringify` (node_modules/cdk8s/lib/yaml.js), without its argument spread, so it works at any size. */
function yamlPackage(objects: readonly unknown[]): string {
  return objects.map((o) => (o === undefined ? '\n' : stringify(o, { keepUndefined: true, lineWidth: 0, version: '1.1' }))).join('---\n');
}

/**
 * The objects the app writes: each ApiObject's JSON after synthesis (which runs the validations
 * that add to them). Taken from the charts rather than from a call to Yaml.stringify, which
 * LayeredApp may make per object, or not at all.
 */
function manifestsOf(app: App): unknown[] {
  app.synthYaml();
  return app.charts.flatMap((chart) => chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => o.toJson()));
}

/** Wall-clock and CPU time (this process, all threads: the garbage collector's helpers too) of one run. */
function timed(run: () => string): { ms: number; cpuMs: number; yaml: string } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const yaml = run();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, yaml };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function main(): void {
  const cameras = Number(process.argv[2] ?? DEFAULT_CAMERAS);
  const repetitions = Number(process.argv[3] ?? DEFAULT_REPETITIONS);
  const app = new LayeredApp({ outdir: path.join(os.tmpdir(), 'yaml-emitter-bench-never-written'), recordConstructMetadata: false });
  buildBenchPlatform(app, cameras);
  const objects = manifestsOf(app);
  const leftToPackage = objects.filter((o) => o !== undefined && fastPathYaml(o) === undefined).length;

  const packageMs: number[] = [];
  const emitterMs: number[] = [];
  const packageCpuMs: number[] = [];
  const emitterCpuMs: number[] = [];
  let identical = true;
  let bytes = 0;
  // Alternating, so that both see the same state of the machine (the other helpers' load, the heap).
  for (let r = 0; r < repetitions; r++) {
    const fromPackage = timed(() => yamlPackage(objects));
    const fromEmitter = timed(() => stringifyManifests(objects));
    packageMs.push(fromPackage.ms);
    emitterMs.push(fromEmitter.ms);
    packageCpuMs.push(fromPackage.cpuMs);
    emitterCpuMs.push(fromEmitter.cpuMs);
    identical &&= fromPackage.yaml === fromEmitter.yaml;
    bytes = Buffer.byteLength(fromEmitter.yaml);
  }
  const ratio = median(packageMs) / median(emitterMs);
  const cpuRatio = median(packageCpuMs) / median(emitterCpuMs);
  const list = (values: readonly number[]): string => values.map((ms) => ms.toFixed(0)).join(', ');
  console.log(`cameras ${cameras}, objects ${objects.length}, YAML ${(bytes / 2 ** 20).toFixed(1)} MiB, objects left to the yaml package: ${leftToPackage}`);
  console.log(`yaml package: median ${median(packageMs).toFixed(0)} ms wall (${list(packageMs)}), ${median(packageCpuMs).toFixed(0)} ms CPU (${list(packageCpuMs)})`);
  console.log(`emitter:      median ${median(emitterMs).toFixed(0)} ms wall (${list(emitterMs)}), ${median(emitterCpuMs).toFixed(0)} ms CPU (${list(emitterCpuMs)})`);
  console.log(`emitter is ${ratio.toFixed(1)}x faster in wall-clock time, ${cpuRatio.toFixed(1)}x in CPU time; outputs ${identical ? 'byte-identical' : 'DIFFER'}`);
  if (!identical) process.exitCode = 1;
}

main();
