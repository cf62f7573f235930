import * as fc from 'fast-check';
import { App, Chart, Size } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-27';
import { ManifestValidator, PlatformNamespace, PlatformPolicies, PlatformPoliciesOptions } from '../lib';
import { formatFinding } from '../lib/synth/policy/policy-finding';
import { formatViolation } from '../lib/synth/validation/violation';
import { KubeObject, testApp } from './_helpers';

/**
 * Shared pieces of the property tests (test/properties*.test.ts): a counter of the cases tried,
 * printed once per file, the "valid and compliant" check, the "error names the prop" pattern and
 * the arbitraries several files need.
 */

/** Counts the cases fast-check tried per property and prints them after the file's tests. */
export function caseCounter(): (name: string) => void {
  const tried: Record<string, number> = {};
  afterAll(() => {
    console.log(`fast-check cases tried: ${Object.entries(tried).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });
  return (name) => {
    tried[name] = (tried[name] ?? 0) + 1;
  };
}

/**
 * Synthesizes every chart of the app (which runs the construct validations), asserts the
 * validator and the policies find nothing, and returns the objects.
 */
export function expectValidAndCompliant(app: App, options: PlatformPoliciesOptions = {}): KubeObject[] {
  const objects: KubeObject[] = app.charts.flatMap((c) => c.toJson());
  expect(ManifestValidator.validateObjects(objects).violations.map(formatViolation)).toEqual([]);
  expect(PlatformPolicies.check(app, options).map(formatFinding)).toEqual([]);
  return objects;
}

/** An app with one chart and, for each name, the PlatformNamespace objects of that namespace live in. */
export function appWithNamespaces(...namespaces: string[]): { app: App; chart: Chart } {
  const app = testApp();
  const chart = new Chart(app, 'chart');
  namespaces.forEach((name, i) => new PlatformNamespace(chart, `ns-${i}`, { name }));
  return { app, chart };
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/**
 * The start of the library's one error style, `<Construct> '<id>': '<prop>' (`, with the quoted
 * prop path containing `prop` (so `resources.cpu.request` names `resources`).
 */
export function namesProp(construct: string, id: string, prop: string): RegExp {
  return new RegExp(`^${escapeRegex(construct)} '${escapeRegex(id)}': '[^']*${escapeRegex(prop)}[^']*' \\(`);
}

/** The same for classes that are not constructs and so have no id: `<Class>: '<prop>' (`. */
export function namesPropWithoutId(owner: string, prop: string): RegExp {
  return new RegExp(`^${escapeRegex(owner)}: '[^']*${escapeRegex(prop)}[^']*' \\(`);
}

/** Runs `build` and returns the message it throws; fails the test if it throws nothing. */
export function thrownMessage(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error, but nothing was thrown');
}

/** A DNS-1123 label without consecutive dashes, 2 to 22 characters. */
export const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((s) => !s.includes('--'));

/**
 * Label-valid strings that YAML 1.1 or 1.2 reads as booleans, numbers or null unless quoted: the
 * validator's yaml-1.1 rule looks for them.
 */
export const yamlTrap = fc.constantFrom('yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'False', 'null', '0755', '1e3', '1_000', '0x1F', '1.0', '012');

/** A valid label value, YAML traps included. */
export const labelValue = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,14}[A-Za-z0-9])?$/),
  yamlTrap,
);

/** A valid label key, with or without a DNS prefix. */
export const labelKey = fc.tuple(fc.option(fc.constantFrom('example.com', 'video-analytics.io', 'site.internal'), { nil: undefined }), dnsLabel)
  .map(([prefix, name]) => (prefix ? `${prefix}/${name}` : name));

/** A Kubernetes label value that the API server refuses. */
export const badLabelValue = fc.oneof(
  fc.constantFrom('-leading', 'trailing-', 'has space', 'a/b', 'ü', '_x'),
  fc.constant('a'.repeat(64)),
);

/** A name that is no DNS-1123 label (nor subdomain). */
export const badDnsName = fc.oneof(
  fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,8}$/),
  fc.constantFrom('-ns', 'ns-', 'under_score', 'has space', ''),
  fc.constant('x'.repeat(254)),
);

/** A pinned image reference: by tag, on Docker Hub or a registry with a port, or by digest. */
export const pinnedImage = fc.tuple(
  fc.constantFrom('', 'registry.example.com/', 'registry.local:5000/', 'nvcr.io/nvidia/'),
  fc.stringMatching(/^[a-z]([a-z0-9-]{0,9}[a-z0-9])?$/),
  fc.oneof(
    fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(-[a-z0-9]{1,6})?$/).map((tag) => `:${tag}`),
    fc.stringMatching(/^[a-f0-9]{64}$/).map((digest) => `@sha256:${digest}`),
  ),
).map(([registry, repository, pin]) => `${registry}${repository}${pin}`);

/** An image the library refuses: untagged or `latest`. */
export const unpinnedImage = fc.tuple(fc.constantFrom('', 'registry.local:5000/', 'nvcr.io/nvidia/'), fc.stringMatching(/^[a-z]([a-z0-9-]{0,9}[a-z0-9])?$/), fc.constantFrom('', ':latest'))
  .map(([registry, repository, tag]) => `${registry}${repository}${tag}`);

/** CPU and memory with each request at most its limit. */
export const resources: fc.Arbitrary<ContainerResources> = fc.tuple(
  fc.integer({ min: 10, max: 4000 }), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 16, max: 8192 }), fc.integer({ min: 0, max: 8192 }),
).map(([cpu, moreCpu, memory, moreMemory]) => ({
  cpu: { request: Cpu.millis(cpu), limit: Cpu.millis(cpu + moreCpu) },
  memory: { request: Size.mebibytes(memory), limit: Size.mebibytes(memory + moreMemory) },
}));

/** CPU or memory with a request above its limit, and the prop path the error must name. */
export function resourcesAboveLimit(prop: string): fc.Arbitrary<{ prop: string; value: ContainerResources }> {
  return fc.tuple(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 1000 }), fc.boolean()).map(([limit, excess, cpu]) => (cpu
    ? { prop: `${prop}.cpu.request`, value: { cpu: { request: Cpu.millis(limit + excess), limit: Cpu.millis(limit) } } }
    : { prop: `${prop}.memory.request`, value: { memory: { request: Size.mebibytes(limit + excess), limit: Size.mebibytes(limit) } } }));
}
