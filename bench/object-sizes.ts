/**
 * The largest objects of the bench platform, by the bytes of YAML each takes alone: what the API
 * server is asked to store (it refuses a request over about 1.5 MiB, and a ConfigMap whose data
 * passes 1 MiB).
 *
 * Usage: node --max-old-space-size=4096 -r ./scripts/register-ts.js bench/object-sizes.ts [cameras] [count]
 * (default 10,000 cameras, the 10 largest), then the largest of each kind (the camera egress is
 * the `ingest` NetworkPolicy, Prometheus's the `prometheus` one). Figures, not assertions: it
 * prints a PASS/MISS line against the target of 512 KiB per object and never fails.
 */
import { ApiObject, Yaml } from 'cdk8s';
import { LayeredApp } from '../lib/synth/layered-app';
import { buildBenchPlatform } from './platform';

/** What any one object may take at 50,000 cameras: half the 1 MiB a ConfigMap's data may take, with room to grow. */
const TARGET_BYTES = 512 * 1024;

interface ObjectSize {
  readonly name: string;
  readonly bytes: number;
}

/**
 * Every object, serialized alone with cdk8s's own `Yaml.stringify`. Objects are collected from
 * the charts rather than through `app.synthYaml()`, which passes every object to one call as
 * separate arguments and overflows the stack at 50,000 cameras.
 */
function objectSizes(app: LayeredApp): ObjectSize[] {
  return app.charts.flatMap((chart) => chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)).map((object) => {
    const json = object.toJson() as { kind: string; metadata: { name: string; namespace?: string } };
    const where = json.metadata.namespace === undefined ? '' : `${json.metadata.namespace}/`;
    return { name: `${json.kind} ${where}${json.metadata.name}`, bytes: Buffer.byteLength(Yaml.stringify(json), 'utf8') };
  });
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function main(): void {
  const cameras = Number(process.argv[2] ?? 10_000);
  const count = Number(process.argv[3] ?? 10);
  const app = new LayeredApp({ outdir: '/nonexistent', recordConstructMetadata: false });
  buildBenchPlatform(app, cameras);
  const sizes = objectSizes(app).sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
  console.log(`${cameras} cameras: ${sizes.length} objects, the ${Math.min(count, sizes.length)} largest by YAML bytes:`);
  for (const { name, bytes } of sizes.slice(0, count)) console.log(`${String(bytes).padStart(10)} B  ${kib(bytes).padStart(11)}  ${name}`);
  const kinds = new Map<string, ObjectSize>();
  for (const size of sizes) if (!kinds.has(size.name.split(' ')[0])) kinds.set(size.name.split(' ')[0], size);
  console.log('The largest of each kind:');
  for (const { name, bytes } of kinds.values()) console.log(`${String(bytes).padStart(10)} B  ${kib(bytes).padStart(11)}  ${name}`);
  const largest = sizes[0];
  const verdict = largest.bytes <= TARGET_BYTES ? 'PASS' : 'MISS';
  console.log(`${verdict} largest object ${largest.name}: ${kib(largest.bytes)} (target at most ${kib(TARGET_BYTES)})`);
}

main();
