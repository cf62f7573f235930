import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { ManifestValidator } from '../lib';
import { formatViolation } from '../lib/synth/validation/violation';

export type KubeObject = { [key: string]: any };

/** Finds one object by kind, name and (optionally) namespace: never by position, which shifts as constructs grow. */
export function findObject(objects: readonly KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace));
  if (found.length !== 1) {
    const present = objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`).join(', ');
    throw new Error(`expected exactly one ${kind} named '${name}'${namespace ? ` in '${namespace}'` : ''}, found ${found.length} among: ${present}`);
  }
  return found[0];
}

export function objectsOfKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Synthesizes a chart once and returns its objects after checking that all of them are valid. */
export function synthValid(chart: Chart): KubeObject[] {
  const objects = Testing.synth(chart) as KubeObject[];
  const { violations } = ManifestValidator.validateObjects(objects);
  expect(violations.map(formatViolation)).toEqual([]);
  return objects;
}

/**
 * `Testing.chart()` without the litter: it creates a temporary output folder that unit tests
 * never write to (they read `toJson()`), so the folder is removed at once.
 */
export function testChart(): Chart {
  const chart = Testing.chart();
  removeOutdir(chart.node.root as App);
  return chart;
}

/** `Testing.app()` likewise. */
export function testApp(): App {
  const app = Testing.app();
  removeOutdir(app);
  return app;
}

function removeOutdir(app: App): void {
  fs.rmSync(app.outdir, { recursive: true, force: true });
}

/**
 * Runs `script` in a Node.js of its own, from the project's folder, with V8's natives syntax
 * (`%HaveSameMap`, for tests of hidden classes) and the TypeScript loader, and returns what it
 * printed as JSON. Fails the test on anything it wrote to stderr.
 */
export function runWithV8Natives<T>(script: string): T {
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '-r', './scripts/register-ts.js', '-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  if (run.stderr !== '' || run.status !== 0) throw new Error(`the child exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
