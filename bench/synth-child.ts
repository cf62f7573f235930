/**
 * One measurement, in a process of its own so that its peak memory is its own. Prints one JSON
 * line (ChildResult) on stdout.
 *
 * Modes:
 * - `floor`: builds the bench platform with `cameras` cameras and times the floor alone:
 *   `YAML.stringify` of its objects (in the order LayeredApp writes them) with cdk8s's options;
 * - `layered`: also times building and synthesizing to YAML text in process, and checks that
 *   the floor's text is byte-identical to the synthesized one.
 *
 * Usage: node -r ./scripts/register-ts.js bench/synth-child.ts <cameras> [floor|layered]
 */
import { ApiObject, App } from 'cdk8s';
import { stringify } from 'yaml';
import { inApplyOrder } from '../lib/synth/apply-order';
import { LayeredApp } from '../lib/synth/layered-app';
import { buildBenchPlatform } from './platform';

/** What a child reports. */
export interface ChildResult {
  readonly cameras: number;
  readonly objects: number;
  /** Building the constructs and synthesizing them to YAML text, in milliseconds (0 in `floor` mode). */
  readonly inProcessMs: number;
  /** `YAML.stringify` of the synthesized objects alone, in milliseconds. */
  readonly floorMs: number;
  /** Peak resident memory after synthesis, in MiB (before the floor is measured). */
  readonly peakRssMiB: number;
  /** Bytes of YAML; the floor must produce exactly the same text. */
  readonly yamlBytes: number;
  /** Whether the floor's text equals the synthesized text (true in `floor` mode, which synthesizes none). */
  readonly floorMatches: boolean;
}

/** cdk8s's `Yaml.stringify` (node_modules/cdk8s/lib/yaml.js): YAML 1.1, no line wrapping, undefined kept. */
function floor(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { keepUndefined: true, lineWidth: 0, version: '1.1' })).join('---\n');
}

function newApp(): App {
  return new LayeredApp({ outdir: '/nonexistent', recordConstructMetadata: false });
}

/** The objects as LayeredApp writes them: charts in file order, each chart's objects in apply order. */
function synthesizedObjects(app: App): unknown[] {
  return app.charts.flatMap((chart) => inApplyOrder(chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => o.toJson())));
}

function timed<T>(body: () => T): [T, number] {
  const start = performance.now();
  const result = body();
  return [result, performance.now() - start];
}

function main(): void {
  const cameras = Number(process.argv[2]);
  const mode = process.argv[3] ?? 'layered';
  // Warm-up: one small platform through every code path, so the timed run measures compiled code.
  const warm = newApp();
  buildBenchPlatform(warm, 16);
  floor(synthesizedObjects(warm));
  if (mode !== 'floor') warm.synthYaml();

  const app = newApp();
  let yaml: string | undefined;
  let inProcessMs = 0;
  if (mode === 'floor') {
    buildBenchPlatform(app, cameras);
    // What synthesis runs before it serializes: the constructs' validations (LayerChart
    // annotates its objects there), so that the floor writes the very objects synthesis writes.
    for (let pass = 0; pass < 2; pass++) for (const construct of app.node.findAll()) construct.node.validate();
  } else {
    [yaml, inProcessMs] = timed(() => {
      buildBenchPlatform(app, cameras);
      return app.synthYaml();
    });
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const objects = synthesizedObjects(app);
  const [floorYaml, floorMs] = timed(() => floor(objects));
  const result: ChildResult = {
    cameras, objects: objects.length, inProcessMs, floorMs, peakRssMiB,
    yamlBytes: Buffer.byteLength(floorYaml), floorMatches: yaml === undefined || floorYaml === yaml,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
