import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** What one promtool run printed, and how it ended. */
export interface PromtoolRun {
  readonly status: number;
  readonly output: string;
}

const INSTALL_HINT = 'promtool is not installed: the monitoring proofs need it. '
  + "Install it with 'apt-get install -y --no-install-recommends prometheus' (Debian/Ubuntu), "
  + 'or put the promtool binary of a Prometheus release on PATH.';

/**
 * Runs promtool. A missing promtool is an error, never a skipped test: a proof that silently does
 * not run proves nothing.
 */
export function promtool(args: readonly string[], cwd?: string, env: NodeJS.ProcessEnv = process.env): PromtoolRun {
  const run = spawnSync('promtool', args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (run.error) {
    throw new Error((run.error as NodeJS.ErrnoException).code === 'ENOENT' ? INSTALL_HINT : `promtool failed to start: ${run.error.message}`);
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

/** Writes files (paths relative to a fresh temporary directory), runs `use` on it, then removes it. */
export function inTempDir<T>(files: Readonly<Record<string, string>>, use: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    return use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
