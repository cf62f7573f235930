import * as fs from 'fs';
import * as path from 'path';
import { FleetCapacityReportData, VideoAnalyticsFleet } from '../../../lib';
import { KubeObject } from '../../_helpers';
import { SITES, buildFleet, filesUnder, fleetProps, inventoryCsv, objectsUnder, tempDir } from './_fleet';

// The fleet capacity report against the files the fleet wrote: every figure of a site's row is
// counted again from that site's objects and node files, and the total row is the sum of the rows.

/** Slices per GPU of the fixture's time-slicing. */
const SLICES_PER_GPU = 2;

let dir: string;
let fleet: VideoAnalyticsFleet;
let data: FleetCapacityReportData;
beforeAll(() => {
  dir = tempDir('fleet-capacity-');
  fleet = buildFleet(fleetProps(dir)).fleet;
  fleet.synth();
  data = fleet.capacityReport().toJson();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Pods of a workload at the minimum and maximum scale: the autoscaler's bounds, else `replicas`. */
function podBounds(objects: readonly KubeObject[], workload: KubeObject): [number, number] {
  const scaler = objects.find((o) => ['HorizontalPodAutoscaler', 'ScaledObject'].includes(o.kind) && o.metadata.namespace === workload.metadata.namespace
    && o.spec.scaleTargetRef.name === workload.metadata.name);
  if (scaler?.kind === 'HorizontalPodAutoscaler') return [scaler.spec.minReplicas, scaler.spec.maxReplicas];
  if (scaler?.kind === 'ScaledObject') return [scaler.spec.minReplicaCount, scaler.spec.maxReplicaCount];
  return [workload.spec.replicas, workload.spec.replicas];
}

const ofComponent = (objects: readonly KubeObject[], component: string): KubeObject[] =>
  objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === component);

describe('FleetCapacityReport', () => {
  test.each(SITES.map((site) => site.name))("site '%s': every figure counted again from its objects and node files", (site) => {
    const objects = objectsUnder(path.join(dir, 'dist', site));
    const detections = ofComponent(objects, 'analysis').map((d) => podBounds(objects, d));
    const gpuSlicesAtMax = ofComponent(objects, 'gpu-worker-pool')
      .map((pool) => Number(pool.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']) * podBounds(objects, pool)[1]);
    const declared = SITES.find((s) => s.name === site)!.cluster.gpuAgents!.reduce((n, agent) => n + agent.gpus, 0);
    const row = data.sites.find((s) => s.site === site);
    expect(row).toEqual({
      site,
      cameras: inventoryCsv().split('\n').filter((line) => line.split(',')[2] === site).length,
      ingestShards: ofComponent(objects, 'stream-ingest').length,
      detectionReplicas: { min: detections.reduce((n, [min]) => n + min, 0), max: detections.reduce((n, [, max]) => n + max, 0) },
      gpusDemanded: gpuSlicesAtMax.reduce((n, slices) => n + slices, 0) / SLICES_PER_GPU,
      gpusDeclared: declared,
      nodes: filesUnder(path.join(dir, 'cluster', site)).filter((file) => /^[^/]+\/config\.yaml$/.test(file)).length,
    });
    // Not a vacuous row: the fixture gives every site cameras, shards and detections.
    expect(Math.min(row!.cameras, row!.ingestShards, row!.detectionReplicas.min, row!.nodes)).toBeGreaterThan(0);
  });

  test('the total is the sum of the rows', () => {
    const sum = (figure: (row: FleetCapacityReportData['sites'][number]) => number): number => data.sites.reduce((n, row) => n + figure(row), 0);
    expect(data.sites.map((row) => row.site)).toEqual(['north', 'south', 'east']);
    expect(data.total).toEqual({
      cameras: sum((r) => r.cameras),
      ingestShards: sum((r) => r.ingestShards),
      detectionReplicas: { min: sum((r) => r.detectionReplicas.min), max: sum((r) => r.detectionReplicas.max) },
      gpusDemanded: sum((r) => r.gpusDemanded),
      gpusDeclared: sum((r) => r.gpusDeclared),
      nodes: sum((r) => r.nodes),
    });
  });

  test('reports/fleet-capacity.md, beside dist/, has a row per site and the total', () => {
    const markdown = fs.readFileSync(path.join(dir, 'reports', 'fleet-capacity.md'), 'utf8');
    expect(markdown).toBe(fleet.capacityReport().toMarkdown());
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Site'));
    const { total } = data;
    expect(rows).toEqual([
      ...data.sites.map((r) => `| ${r.site} | ${r.cameras} | ${r.ingestShards} | ${r.detectionReplicas.min}–${r.detectionReplicas.max} | ${r.gpusDemanded} | ${r.gpusDeclared} | ${r.gpusDeclared - r.gpusDemanded} | ${r.nodes} |`),
      `| **Total (3 sites)** | ${total.cameras} | ${total.ingestShards} | ${total.detectionReplicas.min}–${total.detectionReplicas.max} | ${total.gpusDemanded} | ${total.gpusDeclared} | ${total.gpusDeclared - total.gpusDemanded} | ${total.nodes} |`,
    ]);
  });
});
