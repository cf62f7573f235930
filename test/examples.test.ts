import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

// The examples are consumer projects, built end to end by scripts/build-examples.sh; this test
// checks, without installing anything, what keeps them honest: the README's Quick start is the
// full-platform example word for word, and every example pins the toolchain this repository is
// tested with.

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
const EXPECTED_EXAMPLES = ['analysis-service', 'cpu-only', 'edge-box', 'fleet', 'full-platform', 'gpu-pool', 'monitoring-operator', 'stream-ingest'];
const PINNED = ['cdk8s', 'cdk8s-plus-27', 'constructs', 'cdk8s-cli', 'typescript', 'ts-node'];
const QUICK_START = /<!-- quick-start:begin -->\n```ts\n([\s\S]*?)```\n<!-- quick-start:end -->/;

const exampleNames = fs.readdirSync(EXAMPLES, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
const readJson = (file: string): any => JSON.parse(fs.readFileSync(file, 'utf8'));
const installedVersion = (name: string): string => readJson(path.join(ROOT, 'node_modules', name, 'package.json')).version;
const library = readJson(path.join(ROOT, 'package.json'));

test('examples/ holds the eight consumer projects', () => {
  expect(exampleNames).toEqual(EXPECTED_EXAMPLES);
});

test("the README's Quick start is examples/full-platform/main.ts, word for word", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const quickStart = QUICK_START.exec(readme);
  expect(quickStart).not.toBeNull();
  expect(quickStart![1]).toBe(fs.readFileSync(path.join(EXAMPLES, 'full-platform', 'main.ts'), 'utf8'));
});

describe.each(exampleNames)('examples/%s', (name) => {
  const dir = path.join(EXAMPLES, name);

  test('is a complete project: package.json, its lockfile, cdk8s.yaml, tsconfig.json and a short main.ts', () => {
    for (const file of ['package.json', 'package-lock.json', 'cdk8s.yaml', 'tsconfig.json', 'main.ts']) {
      expect(fs.existsSync(path.join(dir, file))).toBe(true);
    }
    expect(fs.readFileSync(path.join(dir, 'main.ts'), 'utf8').split('\n').length).toBeLessThanOrEqual(80);
  });

  test('pins exactly the versions this repository is tested with, TypeScript 5.9', () => {
    const pkg = readJson(path.join(dir, 'package.json'));
    const declared: Record<string, string> = { ...pkg.dependencies, ...pkg.devDependencies };
    const pins = Object.fromEntries(PINNED.map((dep) => [dep, declared[dep]]));
    expect(pins).toEqual(Object.fromEntries(PINNED.map((dep) => [dep, installedVersion(dep)])));
    for (const [dep, version] of Object.entries(declared)) expect(`${dep}@${version}`).toMatch(/@\d+\.\d+\.\d+$/);
    expect(declared.typescript).toMatch(/^5\.9\.\d+$/);
    // The library comes from the packed tarball in CI; a lockfile naming it could not be installed before it is published.
    expect(declared[library.name]).toBeUndefined();
  });

  test('has a lockfile npm ci accepts: the same dependencies, resolved to the pinned versions, without the library', () => {
    const pkg = readJson(path.join(dir, 'package.json'));
    const lock = readJson(path.join(dir, 'package-lock.json'));
    const root = lock.packages[''];
    expect({ dependencies: root.dependencies, devDependencies: root.devDependencies }).toEqual({ dependencies: pkg.dependencies, devDependencies: pkg.devDependencies });
    for (const dep of PINNED) expect(lock.packages[`node_modules/${dep}`].version).toBe(installedVersion(dep));
    expect(lock.packages[`node_modules/${library.name}`]).toBeUndefined();
  });

  test("declares the library's validation plugin by its path in node_modules, at the library's version", () => {
    const config = parse(fs.readFileSync(path.join(dir, 'cdk8s.yaml'), 'utf8'));
    expect(config).toEqual({
      language: 'typescript',
      app: 'npx ts-node --transpile-only main.ts',
      output: 'dist',
      validations: [{ package: `./node_modules/${library.name}`, version: library.version, class: 'ManifestValidationPlugin' }],
    });
  });

  test('writes nothing but manifests into dist/: a LayeredApp, a VideoAnalyticsFleet (a LayeredApp per site), or an App without construct metadata', () => {
    const main = fs.readFileSync(path.join(dir, 'main.ts'), 'utf8');
    expect(main).toMatch(/new LayeredApp\(|new VideoAnalyticsFleet\(|new App\(\{[^}]*recordConstructMetadata: false/);
    expect(main).toMatch(/construct-metadata\.json/);
  });
});
