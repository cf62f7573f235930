/**
 * `npm run bench`: what a user waits for, and how far it is from its floor.
 *
 * 1. End to end, at 1,000, 10,000 and 50,000 cameras: `cdk8s synth` (the project's own cdk8s-cli)
 *    of the bench platform (bench/platform.ts through bench/e2e-app.ts, a LayeredApp) with the
 *    manifest-validation plugin, exactly as a user's project runs it, in a temporary project.
 *    Beside it, measured in the same run:
 *    - floor: `YAML.stringify` of the very objects, with cdk8s's options, in a child process of its
 *      own (bench/synth-child.ts, mode `floor`): the least any synthesis of this YAML can cost;
 *    - peak RSS: the largest process of the synth (the CLI or the app), from `/usr/bin/time`;
 *    - the largest object of the written files, in bytes of YAML;
 *    - the same synth with COMPARED_NODE_FLAGS (bench/platform.ts) in the app command.
 * 2. The reference platform (`main.ts`): `cdk8s synth` with the plugin and with `--no-validate`,
 *    against `cdk8s synth` of an app that synthesizes nothing (bench/empty-app.ts): the CLI's own
 *    start-up. Rounds run every variant once, in turn, so that a change of the machine's load
 *    weighs on all of them alike; the ratio is the median of the rounds' ratios.
 * 3. Optional: `--in-process` prints the in-process table (construction and synthesis to YAML
 *    text, no CLI, no validation; bench/synth-child.ts, mode `layered`); `--fleet` runs the fleet
 *    bench (bench/fleet.bench.ts).
 *
 * Figures, not assertions: PASS/MISS lines compare them with the targets of the issue, and the
 * bench never fails the build. Options: --sizes 1000,10000,50000 --runs 3 (runs for sizes up to
 * 1,000; larger sizes run once) --no-reference --no-tuned --in-process --fleet.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildResult } from './synth-child';
import { COMPARED_NODE_FLAGS, shapeFor } from './platform';

const ROOT = path.join(__dirname, '..');
const CDK8S_CLI = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
const REGISTER_TS = path.join(ROOT, 'scripts', 'register-ts.js');
const PLUGIN = path.join(ROOT, 'plugins', 'manifest-validation');
/** Where LayeredApp leaves its validation receipts (lib/synth/validation/_receipts.ts). */
const RECEIPTS = path.join(ROOT, 'node_modules', '.cache', 'cdk8s-video-analytics', 'validation-receipts');

/**
 * Forgets every validation receipt: the next synth validates every object, as the first synth
 * after a change to every file does. Runs that find receipts (files unchanged since the last
 * synth) would measure a hash instead of the validation. The validators' code cache beside them
 * (lib/synth/validation/_generated-code.ts) is kept, like the TypeScript loader's cache: it is
 * what every synth after the first one after an install finds.
 */
/** The validators' V8 code cache (lib/synth/validation/_generated-code.ts). */
const CODE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'cdk8s-video-analytics', 'code-cache');

function forgetReceipts(): void {
  fs.rmSync(RECEIPTS, { recursive: true, force: true });
}

const FLOOR_TARGET = 1.3;
const LINEARITY_TARGET = 5.5;
const RSS_TARGET_MIB = 1536;
const OBJECT_TARGET_BYTES = 512 * 1024;
const REFERENCE_TARGET = 0.5;

interface Options {
  readonly sizes: number[];
  readonly runs: number;
  readonly reference: boolean;
  readonly inProcess: boolean;
  readonly fleet: boolean;
  /** Whether each size runs a second time with {@link COMPARED_NODE_FLAGS}. */
  readonly tuned: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    sizes: (value('--sizes') ?? '1000,10000,50000').split(',').map(Number),
    runs: Number(value('--runs') ?? 3),
    reference: !argv.includes('--no-reference'),
    inProcess: argv.includes('--in-process'),
    fleet: argv.includes('--fleet'),
    tuned: !argv.includes('--no-tuned'),
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

function passOrMiss(pass: boolean): string {
  return pass ? 'PASS' : 'MISS';
}

/** Sizes above 1,000 cameras take tens of seconds a run: they run once. */
function runsFor(cameras: number, runs: number): number {
  return cameras > 1000 ? 1 : runs;
}

/** Runs one bench child (bench/synth-child.ts) and returns what it printed. */
function runChild(cameras: number, mode: string): ChildResult {
  const child = spawnSync(process.execPath, ['--max-old-space-size=4096', '-r', REGISTER_TS, path.join(__dirname, 'synth-child.ts'), String(cameras), mode], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`bench child (${mode}) for ${cameras} cameras failed (${child.status ?? child.signal}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildResult;
}

/** A throw-away cdk8s project: its cdk8s.yaml runs `app` with the given validations. */
function withProject<T>(app: string, validate: boolean, body: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-project-'));
  const validations = validate ? `validations:\n  - package: ${PLUGIN}\n    version: 0.1.0\n    class: ManifestValidationPlugin\n` : '';
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), `language: typescript\napp: ${app}\noutput: dist\n${validations}`);
  try {
    return body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface SynthRun {
  readonly wallMs: number;
  readonly peakRssMiB: number;
}

/** `cdk8s synth` in `cwd`, timed from spawn to exit, with the peak RSS of its largest process. */
function cdk8sSynth(cwd: string, args: readonly string[]): SynthRun {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}`);
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, CDK8S_CLI, 'synth', ...args], {
    cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  const wallMs = performance.now() - start;
  if (run.status !== 0) throw new Error(`cdk8s synth ${args.join(' ')} failed (${run.status ?? run.signal}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
  const peakRssMiB = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
  fs.rmSync(rssFile, { force: true });
  return { wallMs, peakRssMiB };
}

interface LargestObject {
  readonly bytes: number;
  readonly name: string;
}

/** The largest document of the manifests under `dir`, in bytes of YAML. */
function largestObject(dir: string): LargestObject {
  let largest: LargestObject = { bytes: 0, name: '' };
  for (const file of fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.k8s.yaml'))) {
    for (const document of fs.readFileSync(path.join(dir, file), 'utf8').split(/^---\n/m)) {
      const bytes = Buffer.byteLength(document);
      if (bytes <= largest.bytes) continue;
      const kind = /^kind: (.+)$/m.exec(document)?.[1] ?? '?';
      const name = /^metadata:\n(?:  .*\n)*?  name: (.+)$/m.exec(document)?.[1] ?? '?';
      largest = { bytes, name: `${kind} ${name}` };
    }
  }
  return largest;
}

/** One way of running the app: node with the given flags. */
interface SynthOutcome {
  readonly wallMs: number;
  readonly peakRssMiB: number;
}

interface EndToEndResult {
  readonly cameras: number;
  readonly objects: number;
  readonly floorMs: number;
  readonly largest: LargestObject;
  /** `cdk8s synth` with node's defaults. */
  readonly plain: SynthOutcome;
  /** `cdk8s synth` with {@link COMPARED_NODE_FLAGS} in the app command; undefined with --no-tuned. */
  readonly tuned?: SynthOutcome;
}

/** `cdk8s synth` with the plugin at `cameras` (with node's defaults, then with COMPARED_NODE_FLAGS), and the floor of the same objects, in one run. */
function measureEndToEnd(cameras: number, runs: number, tuned: boolean): EndToEndResult {
  const synthWith = (nodeFlags: readonly string[]): { outcome: SynthOutcome; largest: LargestObject } => {
    const app = ['node', ...nodeFlags, '-r', REGISTER_TS, path.join(__dirname, 'e2e-app.ts'), String(cameras)].join(' ');
    return withProject(app, true, (dir) => {
      const synths = Array.from({ length: runs }, () => {
        forgetReceipts();
        return cdk8sSynth(dir, []);
      });
      const outcome = { wallMs: median(synths.map((s) => s.wallMs)), peakRssMiB: Math.max(...synths.map((s) => s.peakRssMiB)) };
      return { outcome, largest: largestObject(path.join(dir, 'dist')) };
    });
  };
  const plain = synthWith([]);
  const withFlags = tuned ? synthWith(COMPARED_NODE_FLAGS) : undefined;
  const floors = Array.from({ length: runs }, () => runChild(cameras, 'floor'));
  return { cameras, objects: floors[0].objects, floorMs: median(floors.map((f) => f.floorMs)), largest: plain.largest, plain: plain.outcome, tuned: withFlags?.outcome };
}

function printEndToEnd(results: readonly EndToEndResult[], runs: number): void {
  console.log(`\nWhat the user waits for: \`cdk8s synth\` with the validation plugin, LayeredApp; median of ${runs} runs up to 1,000 cameras, one run above.`);
  console.log(`Each size runs the app with node's defaults, then with ${COMPARED_NODE_FLAGS.join(' ')} (docs/capacity-and-performance.md).\n`);
  console.log('| cameras | objects | `cdk8s synth` ms | peak RSS MiB | with the flags ms | peak RSS MiB | floor ms | synth / floor | largest object | bytes |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|:---|---:|');
  for (const r of results) {
    const tuned = r.tuned ? `${ms(r.tuned.wallMs)} | ${Math.round(r.tuned.peakRssMiB)}` : '- | -';
    console.log(`| ${ms(r.cameras)} | ${ms(r.objects)} | ${ms(r.plain.wallMs)} | ${Math.round(r.plain.peakRssMiB)} | ${tuned} | ${ms(r.floorMs)} | ${(r.plain.wallMs / r.floorMs).toFixed(2)}× | ${r.largest.name} | ${ms(r.largest.bytes)} |`);
  }
  const at = (cameras: number): EndToEndResult | undefined => results.find((r) => r.cameras === cameras);
  const [tenThousand, fiftyThousand] = [at(10000), at(50000)];
  console.log('');
  if (tenThousand) {
    const ratio = tenThousand.plain.wallMs / tenThousand.floorMs;
    console.log(`${passOrMiss(ratio <= FLOOR_TARGET)} floor: at 10,000 cameras \`cdk8s synth\` with validation takes ${ratio.toFixed(2)}× the YAML floor (target at most ${FLOOR_TARGET}×)`);
  }
  const configurations: Array<[string, (r: EndToEndResult) => SynthOutcome | undefined]> = [["node's defaults", (r) => r.plain], [COMPARED_NODE_FLAGS.join(' '), (r) => r.tuned]];
  for (const [name, outcomeOf] of configurations) {
    const [ten, fifty] = [tenThousand && outcomeOf(tenThousand), fiftyThousand && outcomeOf(fiftyThousand)];
    if (ten && fifty) {
      const ratio = fifty.wallMs / ten.wallMs;
      console.log(`${passOrMiss(ratio <= LINEARITY_TARGET)} linearity, ${name}: 10,000 -> 50,000 cameras takes ${ratio.toFixed(2)}× the time (target at most ${LINEARITY_TARGET}×; objects grow ${(fiftyThousand!.objects / tenThousand!.objects).toFixed(2)}×)`);
    }
    if (fifty) {
      console.log(`${passOrMiss(fifty.peakRssMiB <= RSS_TARGET_MIB)} memory, ${name}: peak RSS at 50,000 cameras ${Math.round(fifty.peakRssMiB)} MiB (target at most ${RSS_TARGET_MIB} MiB)`);
    }
  }
  const largest = results.reduce<EndToEndResult | undefined>((a, r) => (a === undefined || r.largest.bytes > a.largest.bytes ? r : a), undefined);
  if (largest) {
    console.log(`${passOrMiss(largest.largest.bytes <= OBJECT_TARGET_BYTES)} object size: the largest object at any size is ${largest.largest.name}, ${ms(largest.largest.bytes)} bytes at ${ms(largest.cameras)} cameras (target at most ${ms(OBJECT_TARGET_BYTES)})`);
  }
}

/** Rounds of the reference platform's variants: the CLI's start-up alone varies by a tenth between runs on this machine. */
const REFERENCE_ROUNDS = 9;

function printReference(): void {
  console.log(`\nThe reference platform (main.ts): \`cdk8s synth\` into a temporary folder, ${REFERENCE_ROUNDS} rounds after a warm-up, each round running every variant once, in turn\n`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reference-'));
  const reference = (args: readonly string[], cold: boolean, withoutCodeCache = false) => (): number => {
    if (cold) forgetReceipts();
    if (withoutCodeCache) fs.rmSync(CODE_CACHE, { recursive: true, force: true });
    return cdk8sSynth(ROOT, [...args, '--output', path.join(outdir, 'dist')]).wallMs;
  };
  const times = withProject(`node -r ${REGISTER_TS} ${path.join(__dirname, 'empty-app.ts')}`, false, (dir) => {
    const variants = {
      empty: () => cdk8sSynth(dir, []).wallMs,
      cold: reference([], true),
      warm: reference([], false),
      afterInstall: reference([], true, true),
      noValidate: reference(['--no-validate'], true),
    };
    const rounds = Array.from({ length: REFERENCE_ROUNDS + 1 }, () => Object.fromEntries(Object.entries(variants).map(([name, run]) => [name, run()])) as Record<keyof typeof variants, number>);
    // The first round warms the file cache and the loaders' caches.
    return rounds.slice(1);
  });
  fs.rmSync(outdir, { recursive: true, force: true });
  const medianOf = (name: keyof (typeof times)[number]): number => median(times.map((round) => round[name]));
  const addedOf = (name: keyof (typeof times)[number]): number => median(times.map((round) => (round[name] - round.empty) / round.empty));
  const over = (name: keyof (typeof times)[number]): string => `${ms(medianOf(name) - medianOf('empty'))} ms | ${addedOf(name).toFixed(2)}×`;
  console.log('| variant | median ms | over the empty app (medians) | median of the rounds\' ratios |');
  console.log('|:---|---:|---:|---:|');
  console.log(`| an app that synthesizes nothing (the CLI's own start-up) | ${ms(medianOf('empty'))} | | |`);
  console.log(`| reference platform, with the validation plugin, every object validated (no receipts) | ${ms(medianOf('cold'))} | ${over('cold')} |`);
  console.log(`| reference platform, with the validation plugin, every object validated, the validators' code cache gone too (the first synth after an install) | ${ms(medianOf('afterInstall'))} | ${over('afterInstall')} |`);
  console.log(`| reference platform, with the validation plugin, files unchanged since the last synth (receipts) | ${ms(medianOf('warm'))} | ${over('warm')} |`);
  console.log(`| reference platform, \`--no-validate\` | ${ms(medianOf('noValidate'))} | ${over('noValidate')} |`);
  const ratios = times.map((round) => (round.cold - round.empty) / round.empty).sort((a, b) => a - b);
  const added = addedOf('cold');
  console.log(`\nRounds' ratios, every object validated: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  console.log(`${passOrMiss(added <= REFERENCE_TARGET)} reference: the app and the validation of every object add ${added.toFixed(2)}× the CLI's own start-up (median of ${REFERENCE_ROUNDS} rounds; target at most ${REFERENCE_TARGET}×)`);
}

function printInProcess(sizes: readonly number[], runs: number): void {
  console.log(`\nIn process (no CLI, no validation): building the constructs and synthesizing them to YAML text, median of ${runs} runs up to 1,000 cameras\n`);
  console.log('| cameras | sites | detections | pools | objects | YAML MiB | in-process ms | peak RSS MiB | floor ms | in-process / floor |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const cameras of sizes) {
    const results = Array.from({ length: runsFor(cameras, runs) }, () => runChild(cameras, 'layered'));
    const shape = shapeFor(cameras);
    const [inProcess, floor] = [median(results.map((r) => r.inProcessMs)), median(results.map((r) => r.floorMs))];
    console.log(`| ${ms(cameras)} | ${shape.sites} | ${shape.detections} | ${shape.pools} | ${ms(results[0].objects)} | ${(results[0].yamlBytes / 2 ** 20).toFixed(1)} | ${ms(inProcess)} | ${Math.round(median(results.map((r) => r.peakRssMiB)))} | ${ms(floor)} | ${(inProcess / floor).toFixed(2)}× |`);
    if (!results.every((r) => r.floorMatches)) console.log(`\nWARNING: the floor's YAML differs from the synthesized YAML at ${cameras} cameras.`);
  }
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  console.log(`Synthesis bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(2)}`);
  console.log(`Platform per size: sites of ${shapeFor(16).cameras} cameras, 3 detection types per site, one GPU pool per 6 detection types, a GPU inventory that fits them; one chart per layer.`);
  // Warm-up, discarded: the file cache and the transpile cache of scripts/register-ts.js.
  measureEndToEnd(100, 1, false);
  printEndToEnd(options.sizes.map((cameras) => measureEndToEnd(cameras, runsFor(cameras, options.runs), options.tuned)), options.runs);
  if (options.reference) printReference();
  if (options.inProcess) printInProcess(options.sizes, options.runs);
  if (options.fleet) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./fleet.bench') as { runFleetBench(): void }).runFleetBench();
  }
  console.log(`\nBench took ${(performance.now() - started) / 1000 | 0} s; load average now ${os.loadavg()[0].toFixed(2)}.`);
}

main();
