import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { codeCacheFileOf } from '../../lib/synth/validation/_generated-code';

// The validators' code cache may only save time: the same verdicts with no cache, with a cache
// left by an earlier process, and with a damaged cache, which V8 rejects and the process replaces.

const ROOT = path.join(__dirname, '..', '..');
const VALIDATION = path.join(ROOT, 'lib', 'synth', 'validation');
/** The generated modules the child loads: the validators of every group its objects use, and the format checks. */
const GENERATED = ['_compiled-validators-core.js', '_format-validators.js', '_compiled-validators-upgrade.cattle.io.js', '_compiled-validators-helm.cattle.io.js',
  '_compiled-validators-keda.sh.js', '_compiled-validators-monitoring.coreos.com.js', '_compiled-validators-argoproj.io.js'];

/** A process that validates dist/ and known-bad objects, and prints its verdicts and how it loaded the generated modules. */
function validateInChild(): { verdicts: string[]; loads: Array<{ file: string; codeCache: string }> } {
  const script = `
    const fs = require('fs');
    const path = require('path');
    const { ManifestValidator } = require('./lib');
    const { formatViolation } = require('./lib/synth/validation/violation');
    const { KNOWN_BAD } = require('./test/synth/_manifest-fixtures');
    const { generatedModuleLoads } = require('./lib/synth/validation/_generated-code');
    const files = fs.readdirSync('dist').map((file) => path.join('dist', file));
    const verdicts = [
      ...ManifestValidator.validateFiles(files).violations,
      ...ManifestValidator.validateObjects(KNOWN_BAD.map((k) => k.object())).violations,
    ].map(formatViolation);
    console.log(JSON.stringify({ verdicts, loads: generatedModuleLoads().map((l) => ({ file: path.basename(l.file), codeCache: l.codeCache })) }));
  `;
  const run = spawnSync(process.execPath, ['-r', './scripts/register-ts.js', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

describe('the code cache of the generated validators', () => {
  const caches = GENERATED.map((file) => codeCacheFileOf(path.join(VALIDATION, file))!);

  test('is written by a process that had none, serves the next one, and a damaged one is rejected and replaced: the verdicts never change', () => {
    for (const cache of caches) fs.rmSync(cache, { force: true });
    const first = validateInChild();
    expect(first.loads).toEqual(GENERATED.map((file) => ({ file, codeCache: 'none' })));
    expect(first.verdicts.length).toBeGreaterThan(10);
    for (const cache of caches) expect(fs.existsSync(cache)).toBe(true);

    const second = validateInChild();
    expect(second.loads.map((l) => l.codeCache)).toEqual(GENERATED.map(() => 'used'));
    expect(second.verdicts).toEqual(first.verdicts);

    for (const cache of caches) fs.writeFileSync(cache, Buffer.alloc(4096, 7));
    const damaged = validateInChild();
    expect(damaged.loads.map((l) => l.codeCache)).toEqual(GENERATED.map(() => 'rejected'));
    expect(damaged.verdicts).toEqual(first.verdicts);
    expect(validateInChild().loads.map((l) => l.codeCache)).toEqual(GENERATED.map(() => 'used'));
  });

  test('is named by the content of the source: a one-character edit names another cache', () => {
    // V8 checks a cache only against the source's length (it runs a cache of other code of the
    // same length), so the name is what keeps an edited file from loading its former code.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'generated-code-'));
    try {
      const file = path.join(dir, 'generated.js');
      fs.writeFileSync(file, 'exports.answer = 1 + 1;\n');
      const before = codeCacheFileOf(file);
      fs.writeFileSync(file, 'exports.answer = 7 * 3;\n');
      expect(before).toBeDefined();
      expect(codeCacheFileOf(file)).not.toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
