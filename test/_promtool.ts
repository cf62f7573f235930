import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** What one promtool run printed, and how it ended. */
export interface PromtoolRun {
  readonly status: number;
  readonly output: string;
}

/** Debian packages that provide each tool: the `prometheus` package has promtool, `prometheus-alertmanager` amtool. */
const PACKAGES = { promtool: 'prometheus', amtool: 'prometheus-alertmanager' } as const;

function installHint(tool: keyof typeof PACKAGES): string {
  return `${tool} is not installed: the monitoring proofs need it. `
    + `Install it with 'apt-get install -y --no-install-recommends ${PACKAGES[tool]}' (Debian/Ubuntu), `
    + `or put the ${tool} binary of a Prometheus or Alertmanager release on PATH.`;
}

/**
 * Runs promtool or amtool. A missing tool is an error, never a skipped test: a proof that
 * silently does not run proves nothing.
 */
function run(tool: keyof typeof PACKAGES, args: readonly string[], cwd?: string, env: NodeJS.ProcessEnv = process.env): PromtoolRun {
  const result = spawnSync(tool, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) {
    throw new Error((result.error as NodeJS.ErrnoException).code === 'ENOENT' ? installHint(tool) : `${tool} failed to start: ${result.error.message}`);
  }
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Runs promtool (Prometheus's config, rules and rule-test checker). */
export function promtool(args: readonly string[], cwd?: string, env: NodeJS.ProcessEnv = process.env): PromtoolRun {
  return run('promtool', args, cwd, env);
}

/** Runs amtool (Alertmanager's config checker and route tester). */
export function amtool(args: readonly string[], cwd?: string): PromtoolRun {
  return run('amtool', args, cwd);
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
