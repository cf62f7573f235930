import * as fs from 'fs';
import * as path from 'path';

/**
 * `<node_modules>/.cache/cdk8s-video-analytics/<name>`: where the library keeps what it caches
 * (receipts, the validators' code cache), or undefined without a `node_modules` to keep it in.
 */
export function libraryCacheFolder(name: string): string | undefined {
  const ancestors: string[] = [];
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    ancestors.push(folder);
    if (path.dirname(folder) === folder) break;
  }
  // Installed: the node_modules the library is in. In its own repository: the one beside it.
  const nodeModules = ancestors.find((folder) => path.basename(folder) === 'node_modules')
    ?? ancestors.map((folder) => path.join(folder, 'node_modules')).find(isFolder);
  return nodeModules && path.join(nodeModules, '.cache', 'cdk8s-video-analytics', name);
}

function isFolder(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

/** Removes all but the `keep` newest entries of `folder`. */
export function removeOldest(folder: string, keep: number, remove: (entry: string) => void): void {
  const entries = fs.readdirSync(folder);
  if (entries.length <= keep) return;
  const byAge = entries.map((name) => {
    const entry = path.join(folder, name);
    return { entry, mtime: fs.statSync(entry).mtimeMs };
  }).sort((a, b) => b.mtime - a.mtime);
  for (const { entry } of byAge.slice(keep)) remove(entry);
}

/**
 * Writes a file of the library's cache: under a temporary name, then renamed, so that another
 * process never reads half of it; readable by the owner only. Best effort: false when it cannot
 * be written, which only costs the next run the work the file would have saved.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, data, { mode: 0o600 });
    fs.renameSync(partial, file);
    return true;
  } catch {
    return false;
  }
}
