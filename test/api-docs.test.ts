import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const COMMITTED = path.join(ROOT, 'docs', 'api');

/**
 * TypeDoc through its API, with the options of typedoc.json and only `out` changed. TypeDoc is an
 * ES module, which jest's CommonJS module loader cannot import, so it runs in a Node process of
 * its own.
 */
const GENERATE = `
import { Application } from 'typedoc';
const app = await Application.bootstrapWithPlugins({ out: process.argv[1], logLevel: 'Error' });
const project = await app.convert();
if (!project) process.exit(1);
await app.generateOutputs(project);
if (app.logger.hasErrors()) process.exit(1);
`;

function generateApiDocs(out: string): void {
  try {
    execFileSync(process.execPath, ['--input-type=module', '--eval', GENERATE, out], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`TypeDoc failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Every file under `dir`, as sorted paths relative to it; none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }))
    .filter((file) => fs.statSync(path.join(dir, file)).isFile())
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

function listed(title: string, files: readonly string[]): string[] {
  return files.length === 0 ? [] : [`${title}:`, ...files.map((file) => `  ${file}`)];
}

describe('the API reference', () => {
  let fresh: string;

  beforeAll(() => {
    fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-'));
    generateApiDocs(fresh);
  }, 120_000);

  afterAll(() => fs.rmSync(fresh, { recursive: true, force: true }));

  test('docs/api is what TypeDoc generates from lib/index.ts, byte for byte', () => {
    const generated = filesUnder(fresh);
    const committed = filesUnder(COMMITTED);
    expect(generated).toContain('README.md');
    const committedSet = new Set(committed);
    const generatedSet = new Set(generated);
    const missing = generated.filter((file) => !committedSet.has(file));
    const extra = committed.filter((file) => !generatedSet.has(file));
    const different = generated.filter((file) => committedSet.has(file)
      && !fs.readFileSync(path.join(fresh, file)).equals(fs.readFileSync(path.join(COMMITTED, file))));
    if (missing.length + extra.length + different.length > 0) {
      throw new Error([
        'docs/api is stale: run npm run docs',
        ...listed('missing from docs/api', missing),
        ...listed('in docs/api but no longer generated', extra),
        ...listed('different', different),
      ].join('\n'));
    }
  });
});
