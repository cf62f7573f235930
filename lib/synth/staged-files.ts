import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Files written into a hidden folder beside the output folder, and moved into the output folder
 * only when every one of them is written and checked ({@link StagedFiles.commit}); discarded
 * otherwise ({@link StagedFiles.discard}).
 *
 * Why: a synthesis that fails must leave the output folder as it was, and one that succeeds
 * should not hold every file's text in memory until the last file is checked (at city scale,
 * hundreds of megabytes). Staged files are written as their text is produced, and moved with a
 * rename, on the same file system as the output folder.
 */
export class StagedFiles {
  /** A staging folder beside `outdir` (`.<name>.synth-XXXXXX`), created now. */
  public static beside(outdir: string): StagedFiles {
    const parent = path.dirname(path.resolve(outdir));
    fs.mkdirSync(parent, { recursive: true });
    return new StagedFiles(fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}.synth-`)));
  }

  private readonly files: Array<{ readonly staged: string; readonly target: string }> = [];

  private constructor(private readonly folder: string) {}

  /**
   * Stages the file that will be `target`: `writeText` hands its text over in pieces, written as
   * UTF-8 (as `fs.writeFileSync` writes a string) through a buffer of {@link BUFFER_BYTES}.
   * @returns the SHA-256 of the bytes written, in hex
   */
  public write(target: string, writeText: (write: (piece: string) => void) => void): string {
    const staged = path.join(this.folder, String(this.files.length));
    const hash = createHash('sha256');
    const fd = fs.openSync(staged, 'w');
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    let used = 0;
    const flush = (bytes: Buffer): void => {
      hash.update(bytes);
      writeAll(fd, bytes);
    };
    try {
      writeText((piece) => {
        const length = Buffer.byteLength(piece, 'utf8');
        if (used + length > BUFFER_BYTES) {
          flush(buffer.subarray(0, used));
          used = 0;
        }
        if (length > BUFFER_BYTES) flush(Buffer.from(piece, 'utf8'));
        else used += buffer.write(piece, used, 'utf8');
      });
      flush(buffer.subarray(0, used));
    } finally {
      fs.closeSync(fd);
    }
    this.files.push({ staged, target });
    return hash.digest('hex');
  }

  /** Moves every staged file to its target, in the order staged, then removes the staging folder. */
  public commit(): void {
    for (const { staged, target } of this.files) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      moveFile(staged, target);
    }
    this.discard();
  }

  /** Removes the staging folder and whatever is still staged in it. */
  public discard(): void {
    fs.rmSync(this.folder, { recursive: true, force: true });
  }
}

/** Pieces are gathered into a buffer this big before they are hashed and written. */
const BUFFER_BYTES = 1 << 20;

function writeAll(fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(fd, bytes, offset);
}

/** A rename, or a copy where the target is on another file system (an output folder that is a mount point). */
function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.copyFileSync(from, to);
    fs.rmSync(from);
  }
}
