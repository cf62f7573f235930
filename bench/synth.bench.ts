/**
 * `npm run bench`: how synthesis scales with the platform, and how far it is from its floor.
 *
 * For 100, 1,000 and 10,000 cameras it builds the reference composition (bench/platform.ts) in
 * fresh child processes, one warm-up child first, then three measured ones per size, and prints
 * medians of:
 * - wall: child process spawn to exit (Node start, loading the cached transpiled TypeScript, build,
 *   synthesis, the floor and the capacity report);
 * - in-process: building the constructs and synthesizing them to YAML text, inside the child;
 * - peak RSS: the child's maximum resident memory after synthesis;
 * - floor: `YAML.stringify` of the very objects synthesized, with cdk8s's options: the least any
 *   synthesis producing this YAML can cost;
 * - capacity report: `CapacityReport.of(app).toMarkdown()` after the synthesis, which `main.ts`
 *   also writes on every synth (not part of in-process time).
 * Then the end-to-end `cdk8s synth` of the reference platform (the project's own cdk8s-cli), with
 * and without validation, with the TypeScript cache of scripts/register-ts.js warm, and once cold.
 *
 * Figures, not assertions: PASS/MISS lines compare them with the targets, and the bench never
 * fails the build. Options: --sizes 100,1000 --runs 3 --no-e2e --with-app (also time cdk8s's
 * own App at the given sizes; above a few hundred cameras it takes minutes).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildResult } from './synth-child';
import { shapeFor } from './platform';

const ROOT = path.join(__dirname, '..');
const LINEARITY_TARGET = 11;
const FLOOR_TARGET = 1.5;
const E2E_TARGET_MS = 1000;

interface Options {
  readonly sizes: number[];
  readonly runs: number;
  readonly e2e: boolean;
  readonly withApp: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    sizes: (value('--sizes') ?? '100,1000,10000').split(',').map(Number),
    runs: Number(value('--runs') ?? 3),
    e2e: !argv.includes('--no-e2e'),
    withApp: argv.includes('--with-app'),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function ms(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Runs one child; wall time is spawn to exit as this process sees it. */
function runChild(cameras: number, appKind: string): ChildResult & { wallMs: number } {
  const start = performance.now();
  const child = spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts', 'register-ts.js'), path.join(__dirname, 'synth-child.ts'), String(cameras), appKind], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20,
  });
  const wallMs = performance.now() - start;
  if (child.status !== 0) throw new Error(`bench child for ${cameras} cameras failed (${child.status ?? child.signal}):\n${child.stderr}`);
  return { ...(JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildResult), wallMs };
}

interface SizeResult {
  readonly cameras: number;
  readonly objects: number;
  readonly yamlMiB: number;
  readonly wallMs: number;
  readonly inProcessMs: number;
  readonly peakRssMiB: number;
  readonly floorMs: number;
  readonly floorMatches: boolean;
  readonly capacityReportMs: number;
}

function measureSize(cameras: number, runs: number, appKind: string): SizeResult {
  const results = Array.from({ length: runs }, () => runChild(cameras, appKind));
  return {
    cameras,
    objects: results[0].objects,
    yamlMiB: results[0].yamlBytes / 2 ** 20,
    wallMs: median(results.map((r) => r.wallMs)),
    inProcessMs: median(results.map((r) => r.inProcessMs)),
    peakRssMiB: median(results.map((r) => r.peakRssMiB)),
    floorMs: median(results.map((r) => r.floorMs)),
    floorMatches: results.every((r) => r.floorMatches),
    capacityReportMs: median(results.map((r) => r.capacityReportMs)),
  };
}

function printTable(title: string, results: readonly SizeResult[]): void {
  console.log(`\n${title}\n`);
  console.log('| cameras | sites | detections | pools | objects | YAML MiB | wall ms | in-process ms | peak RSS MiB | floor ms | in-process / floor | capacity report ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const shape = shapeFor(r.cameras);
    console.log(`| ${ms(r.cameras)} | ${shape.sites} | ${shape.detections} | ${shape.pools} | ${ms(r.objects)} | ${r.yamlMiB.toFixed(1)} | ${ms(r.wallMs)} | ${ms(r.inProcessMs)} | ${Math.round(r.peakRssMiB)} | ${ms(r.floorMs)} | ${(r.inProcessMs / r.floorMs).toFixed(2)}× | ${ms(r.capacityReportMs)} |`);
  }
  const mismatched = results.filter((r) => !r.floorMatches);
  if (mismatched.length > 0) console.log(`\nWARNING: the floor's YAML differs from the synthesized YAML at ${mismatched.map((r) => r.cameras).join(', ')} cameras.`);
}

function passOrMiss(pass: boolean): string {
  return pass ? 'PASS' : 'MISS';
}

function printTargets(results: readonly SizeResult[]): void {
  const at = (cameras: number): SizeResult | undefined => results.find((r) => r.cameras === cameras);
  const [thousand, tenThousand] = [at(1000), at(10000)];
  console.log('');
  if (thousand && tenThousand) {
    const ratio = tenThousand.inProcessMs / thousand.inProcessMs;
    console.log(`${passOrMiss(ratio <= LINEARITY_TARGET)} linearity: in-process time 1,000 -> 10,000 cameras grows ${ratio.toFixed(1)}× (target at most ${LINEARITY_TARGET}×; objects grow ${(tenThousand.objects / thousand.objects).toFixed(1)}×)`);
  }
  if (tenThousand) {
    const ratio = tenThousand.inProcessMs / tenThousand.floorMs;
    console.log(`${passOrMiss(ratio <= FLOOR_TARGET)} floor: at 10,000 cameras in-process time is ${ratio.toFixed(2)}× the YAML floor (${ms(tenThousand.inProcessMs)} ms vs ${ms(tenThousand.floorMs)} ms; target at most ${FLOOR_TARGET}×)`);
  }
}

const CDK8S_CLI = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
const TRANSPILE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'register-ts');

/** `cdk8s synth` as cdk8s.yaml configures it, into a temporary folder (main.ts writes its support files beside it). */
function timeCdk8sSynth(extraArgs: readonly string[]): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    const start = performance.now();
    const run = spawnSync(CDK8S_CLI, ['synth', ...extraArgs, '--output', path.join(dir, 'dist')], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
    const elapsed = performance.now() - start;
    if (run.status !== 0) throw new Error(`cdk8s synth ${extraArgs.join(' ')} failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
    return elapsed;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function timeCli(args: readonly string[]): number {
  const start = performance.now();
  spawnSync(CDK8S_CLI, args, { cwd: ROOT, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
  return performance.now() - start;
}

function printEndToEnd(runs: number): void {
  const app = /^app:\s*(.+)$/m.exec(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8'))?.[1].trim();
  console.log(`\nEnd to end: \`cdk8s synth\` of the reference platform into a temporary folder, median of ${runs} runs after a warm-up`);
  console.log(`app (cdk8s.yaml): ${app}; validation: the manifest-validation plugin\n`);
  console.log('| variant | median ms | runs ms |');
  console.log('|:---|---:|:---|');
  const medians: Array<[string, number]> = [];
  for (const [variant, args] of [['with the validation plugin', []], ['--no-validate', ['--no-validate']]] as const) {
    timeCdk8sSynth(args);
    const times = Array.from({ length: runs }, () => timeCdk8sSynth(args));
    medians.push([variant, median(times)]);
    console.log(`| ${variant} | ${ms(median(times))} | ${times.map(ms).join(', ')} |`);
  }
  // Once more with the transpile cache emptied: the first synth after a clone or a source change.
  fs.rmSync(TRANSPILE_CACHE, { recursive: true, force: true });
  console.log(`| with the validation plugin, TypeScript cache cold | ${ms(timeCdk8sSynth([]))} | 1 run |`);
  console.log(`| the cdk8s CLI alone (\`cdk8s --version\`) | ${ms(median(Array.from({ length: runs }, () => timeCli(['--version']))))} | |`);
  console.log('');
  for (const [variant, value] of medians) console.log(`${passOrMiss(value < E2E_TARGET_MS)} end to end ${variant}: ${ms(value)} ms (target under ${ms(E2E_TARGET_MS)} ms on 2 cores)`);
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  console.log(`Synthesis bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(2)}`);
  console.log(`Platform per size: sites of ${shapeFor(16).cameras} cameras, 3 detection types per site, one GPU pool per 6 detection types, a GPU inventory that fits them; one chart per layer.`);
  runChild(options.sizes[0], 'layered'); // warm-up: file cache and transpiler, discarded
  const results = options.sizes.map((n) => measureSize(n, options.runs, 'layered'));
  printTable(`LayeredApp, median of ${options.runs} runs (each in a fresh process)`, results);
  printTargets(results);
  if (options.withApp) printTable(`cdk8s App (for comparison), median of ${options.runs} runs`, options.sizes.map((n) => measureSize(n, options.runs, 'app')));
  if (options.e2e) printEndToEnd(options.runs);
  console.log(`\nBench took ${(performance.now() - started) / 1000 | 0} s; load average now ${os.loadavg()[0].toFixed(2)}.`);
}

main();
