import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

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

/** Every value of the configuration that names a file inside the pod. */
const POD_PATHS = /^\/(var\/run\/secrets|etc\/prometheus)\//;

/**
 * Debian's promtool is built without Kubernetes discovery (Debian removed it for client-go's
 * dependencies) and rejects `kubernetes_sd_configs` as an unknown field. This stand-in swaps each
 * of those blocks for an empty file discovery and moves the in-pod paths (token, CA, rule files)
 * under `root`, so that the full check, file references and rule files included, runs on
 * everything else. The discovery blocks themselves are checked in the next test.
 */
export function standIn(config: string, root: string): string {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node === 'string') return POD_PATHS.test(node) ? `${root}${node}` : node;
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).map(([key, value]) => key === 'kubernetes_sd_configs'
      ? ['file_sd_configs', [{ files: [`${root}/discovery/none.json`] }]]
      : [key, visit(value)]));
  };
  return toYaml(visit(parseYaml(config)));
}
