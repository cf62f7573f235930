/**
 * The fleet bench: how `VideoAnalyticsFleet.synth()` scales with the number of sites.
 *
 * For fleets of 10, 50 and 100 sites of 100 cameras each (bench/fleet-child.ts: every site the
 * reference composition on three servers and two GPU agents, remote-writing to the first site's
 * central Prometheus, one canary and two waves), each size in a fresh child process after one
 * warm-up child, it prints: objects and files written, wall time of building the sites and of
 * `fleet.synth()` (every object checked by ManifestValidator and the platform policies, then
 * written to a temporary folder), CPU time, time per site, and peak RSS. Linear time means the
 * 100-site fleet takes 10× the 10-site one; the bench prints the ratio, on wall and CPU time
 * (the CPU time is what other processes on the machine do not inflate).
 *
 * Figures, not assertions: a PASS/MISS line compares the ratio with linear (within 20%), and the
 * bench never fails the build.
 *
 * Usage: node -r ./scripts/register-ts.js bench/fleet.bench.ts [--sites 10,50,100] [--cameras 100] [--runs 1]
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { FleetChildResult } from './fleet-child';

const ROOT = path.join(__dirname, '..');
/** Linear, with room for noise: 100 sites take at most 12× what 10 take. */
const LINEARITY_SLACK = 1.2;

/** Options of {@link runFleetBench}. */
export interface FleetBenchOptions {
  /** Fleet sizes, in sites. */
  readonly sites?: readonly number[];
  /** Cameras per site. */
  readonly camerasPerSite?: number;
  /** Children per size; the figures are their medians. */
  readonly runs?: number;
}

/** One size's figures: medians over its runs. */
export interface FleetBenchResult extends FleetChildResult {
  /** Child process spawn to exit, in milliseconds. */
  readonly wallMs: number;
}

function runChild(sites: number, camerasPerSite: number): FleetBenchResult {
  const start = performance.now();
  const child = spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts', 'register-ts.js'), path.join(__dirname, 'fleet-child.ts'), String(sites), String(camerasPerSite)], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20,
  });
  const wallMs = performance.now() - start;
  if (child.status !== 0) throw new Error(`fleet bench child for ${sites} sites failed (${child.status ?? child.signal}):\n${child.stderr}`);
  return { ...(JSON.parse(child.stdout.trim().split('\n').pop()!) as FleetChildResult), wallMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function measure(sites: number, camerasPerSite: number, runs: number): FleetBenchResult {
  const results = Array.from({ length: runs }, () => runChild(sites, camerasPerSite));
  const of = (figure: (r: FleetBenchResult) => number): number => median(results.map(figure));
  return {
    ...results[0],
    wallMs: of((r) => r.wallMs), buildMs: of((r) => r.buildMs), synthMs: of((r) => r.synthMs), cpuMs: of((r) => r.cpuMs), peakRssMiB: of((r) => r.peakRssMiB),
  };
}

function ms(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function printTable(results: readonly FleetBenchResult[], runs: number): void {
  console.log(`\nVideoAnalyticsFleet.synth(), ${runs === 1 ? 'one run' : `median of ${runs} runs`} per size, each in a fresh process\n`);
  console.log('| sites | cameras | objects | files | build ms | synth ms | build + synth ms | per site ms | CPU ms | CPU per site ms | peak RSS MiB | child wall ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const total = r.buildMs + r.synthMs;
    console.log(`| ${r.sites} | ${ms(r.sites * r.camerasPerSite)} | ${ms(r.objects)} | ${ms(r.files)} | ${ms(r.buildMs)} | ${ms(r.synthMs)} | ${ms(total)} | ${ms(total / r.sites)} | ${ms(r.cpuMs)} | ${ms(r.cpuMs / r.sites)} | ${Math.round(r.peakRssMiB)} | ${ms(r.wallMs)} |`);
  }
}

function printLinearity(results: readonly FleetBenchResult[]): void {
  const smallest = results[0];
  const largest = results[results.length - 1];
  if (results.length < 2) return;
  const linear = largest.sites / smallest.sites;
  const wall = (largest.buildMs + largest.synthMs) / (smallest.buildMs + smallest.synthMs);
  const cpu = largest.cpuMs / smallest.cpuMs;
  console.log('');
  console.log(`${cpu <= linear * LINEARITY_SLACK ? 'PASS' : 'MISS'} linearity: ${smallest.sites} -> ${largest.sites} sites (${linear}× the sites, ${(largest.objects / smallest.objects).toFixed(1)}× the objects): `
    + `build + synth ${wall.toFixed(1)}× on wall time, ${cpu.toFixed(1)}× on CPU time (linear: ${linear}×; target at most ${(linear * LINEARITY_SLACK).toFixed(0)}× on CPU time)`);
}

/** Runs the fleet bench and prints its figures; returns them, one per size. */
export function runFleetBench(options: FleetBenchOptions = {}): FleetBenchResult[] {
  const sites = options.sites ?? [10, 50, 100];
  const camerasPerSite = options.camerasPerSite ?? 100;
  const runs = options.runs ?? 1;
  console.log(`Fleet bench: node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; `
    + `sites of ${camerasPerSite} cameras, 3 servers and 2 GPU agents, one pool and three detections each, a central Prometheus at the first site.`);
  runChild(sites[0], camerasPerSite); // warm-up: file cache and transpiler, discarded
  const results = sites.map((n) => measure(n, camerasPerSite, runs));
  printTable(results, runs);
  printLinearity(results);
  console.log(`\nLoad average now ${os.loadavg()[0].toFixed(2)}.`);
  return results;
}

function parseOptions(argv: readonly string[]): FleetBenchOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sites = value('--sites');
  const cameras = value('--cameras');
  const runs = value('--runs');
  return {
    sites: sites === undefined ? undefined : sites.split(',').map(Number),
    camerasPerSite: cameras === undefined ? undefined : Number(cameras),
    runs: runs === undefined ? undefined : Number(runs),
  };
}

if (require.main === module) runFleetBench(parseOptions(process.argv.slice(2)));
