import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StagedFiles } from '../../lib/synth/staged-files';

// Staged files are written piece by piece and must hold exactly the bytes `fs.writeFileSync`
// writes for the whole text, with their hash; nothing reaches the output folder before commit().

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'staged-files-'));
}

function siblings(outdir: string): string[] {
  return fs.readdirSync(path.dirname(outdir)).filter((name) => name !== path.basename(outdir));
}

describe('StagedFiles', () => {
  test('writes the bytes writeFileSync writes, across its buffer, with their SHA-256, and moves them on commit', () => {
    const root = tempDir();
    try {
      const outdir = path.join(root, 'dist');
      // Multi-byte characters, a lone surrogate (written as U+FFFD) and pieces larger than the buffer.
      const pieces = ['a: é\n', '---\n', 'b: "\ud800"\n', 'x'.repeat(3 << 20), '---\n', `c: ${'ü'.repeat(600_000)}\n`, '', 'd: 🎥\n'];
      const text = pieces.join('');
      const staging = StagedFiles.beside(outdir);
      const target = path.join(outdir, 'one.k8s.yaml');
      const sha256 = staging.write(target, (write) => pieces.forEach(write));
      expect(fs.existsSync(target)).toBe(false);
      staging.commit();
      const expectedFile = path.join(root, 'expected');
      fs.writeFileSync(expectedFile, text);
      const bytes = fs.readFileSync(target);
      expect(bytes.equals(fs.readFileSync(expectedFile))).toBe(true);
      expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(siblings(outdir)).toEqual(['expected']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('discard() leaves the output folder as it was and removes the staging folder', () => {
    const root = tempDir();
    try {
      const outdir = path.join(root, 'dist');
      fs.mkdirSync(outdir);
      fs.writeFileSync(path.join(outdir, 'old.k8s.yaml'), 'old\n');
      const staging = StagedFiles.beside(outdir);
      staging.write(path.join(outdir, 'old.k8s.yaml'), (write) => write('new\n'));
      expect(siblings(outdir)).toHaveLength(1);
      staging.discard();
      expect(fs.readFileSync(path.join(outdir, 'old.k8s.yaml'), 'utf8')).toBe('old\n');
      expect(siblings(outdir)).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
