/**
 * One measurement, in a process of its own so that its peak memory is its own: builds the bench
 * platform with `cameras` cameras, synthesizes it to YAML, then times the floor, `YAML.stringify`
 * of the same objects with cdk8s's options, and the capacity report. Prints one JSON line
 * (ChildResult) on stdout.
 *
 * Usage: node -r ./scripts/register-ts.js bench/synth-child.ts <cameras> [app|layered]
 */
import { ApiObject, App, Yaml } from 'cdk8s';
import { stringify } from 'yaml';
import { CapacityReport } from '../lib/reports/capacity-report';
import { LayeredApp } from '../lib/synth/layered-app';
import { buildBenchPlatform } from './platform';

/** What a child reports. */
export interface ChildResult {
  readonly cameras: number;
  readonly objects: number;
  /** Building the constructs and synthesizing them to YAML text, in milliseconds. */
  readonly inProcessMs: number;
  /** `YAML.stringify` of the synthesized objects alone, in milliseconds. */
  readonly floorMs: number;
  /** Peak resident memory after synthesis, in MiB (before the floor is measured). */
  readonly peakRssMiB: number;
  /** Bytes of YAML; the floor must produce exactly the same text. */
  readonly yamlBytes: number;
  readonly floorMatches: boolean;
  /** The capacity report (`CapacityReport.of(app).toMarkdown()`), which every synth of `main.ts` also writes, in milliseconds. */
  readonly capacityReportMs: number;
}

/** cdk8s's `Yaml.stringify` (node_modules/cdk8s/lib/yaml.js): YAML 1.1, no line wrapping, undefined kept. */
function floor(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { keepUndefined: true, lineWidth: 0, version: '1.1' })).join('---\n');
}

function newApp(kind: string): App {
  return kind === 'app' ? new App({ outdir: '/nonexistent', recordConstructMetadata: false }) : new LayeredApp({ outdir: '/nonexistent', recordConstructMetadata: false });
}

function synthesizedObjects(app: App): unknown[] {
  return app.charts.flatMap((chart) => chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)).map((o) => o.toJson());
}

/** Synthesizes to YAML text and keeps the objects cdk8s serialized, so the floor gets exactly those. */
function synthYamlKeepingObjects(app: App): { yaml: string; objects: unknown[] } {
  let objects: unknown[] = [];
  const stringify = Yaml.stringify;
  Yaml.stringify = (...docs: unknown[]): string => {
    objects = docs;
    return stringify.apply(Yaml, docs);
  };
  try {
    return { yaml: app.synthYaml(), objects };
  } finally {
    Yaml.stringify = stringify;
  }
}

function main(): void {
  const cameras = Number(process.argv[2]);
  const appKind = process.argv[3] ?? 'layered';
  // Warm-up: one small platform through every code path, so the timed run measures compiled code.
  const warm = newApp(appKind);
  buildBenchPlatform(warm, 16);
  floor(synthesizedObjects(warm));
  warm.synthYaml();

  const start = performance.now();
  const app = newApp(appKind);
  buildBenchPlatform(app, cameras);
  const { yaml, objects } = synthYamlKeepingObjects(app);
  const inProcessMs = performance.now() - start;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  const floorStart = performance.now();
  const floorYaml = floor(objects);
  const floorMs = performance.now() - floorStart;
  const reportStart = performance.now();
  CapacityReport.of(app).toMarkdown();
  const capacityReportMs = performance.now() - reportStart;
  const result: ChildResult = {
    cameras, objects: objects.length, inProcessMs, floorMs, peakRssMiB, yamlBytes: Buffer.byteLength(yaml), floorMatches: floorYaml === yaml, capacityReportMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
