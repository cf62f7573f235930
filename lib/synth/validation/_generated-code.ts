import { createHash } from 'crypto';
import * as fs from 'fs';
import Module from 'module';
import * as path from 'path';
import * as vm from 'vm';
import { libraryCacheFolder, removeOldest, writeCacheFile } from './_cache-folder';

/**
 * Loads one of the validator's generated modules (`_compiled-validators-*.js`,
 * `_format-validators.js`: 3.3 MB of ajv's code) as `require()` would, with a V8 code cache.
 * `requireFromCaller` (the caller's `require`, in the same folder) resolves what the module
 * requires.
 *
 * Why: parsing and compiling that code took longer than running it on the reference platform's
 * objects, on every cold validation (each `cdk8s synth` whose files changed, each test file).
 * With the code cache left by an earlier run, V8 reads the compiled functions instead (about 45
 * of 70 ms saved). The cache changes no verdict. It is named by the SHA-256 of the source, so a
 * changed file never finds the cache of its former text: V8 itself checks only the source's
 * length (given the cache of other code of the same length, it runs that other code), its own
 * version and its flags, and compiles afresh when those differ.
 *
 * The cache of a file is written once per process, when the process exits (by then it holds
 * every function the run compiled), next to the validation receipts and with the same trust: in
 * the `node_modules` the library is installed in, never in the project or the output folder.
 * Without that folder, or when it cannot be written, the module loads as `require()` loads it.
 */
export function requireGeneratedModule(file: string, requireFromCaller: NodeJS.Require): unknown {
  const done = loaded.get(file);
  if (done !== undefined) return done.exports;
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(source);
  const cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile);
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const module = new Module(file);
  module.filename = file;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  // The caller's require: the generated code requires its neighbours ('./_go-regexp') as the caller would.
  wrapper.call(module.exports, module.exports, requireFromCaller, module, file, path.dirname(file));
  module.loaded = true;
  loaded.set(file, module);
  outcomes.push({ file, codeCache: cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used' });
  // Listed among the loaded modules, as require() would list it.
  requireFromCaller.cache[file] ??= module;
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => writeCodeCache(cacheFile, script));
  }
  return module.exports;
}

const loaded = new Map<string, Module>();

/** How each generated module of this process was loaded: without a code cache, from one, or compiled afresh because V8 rejected it. */
export interface GeneratedModuleLoad {
  readonly file: string;
  readonly codeCache: 'none' | 'used' | 'rejected';
}

const outcomes: GeneratedModuleLoad[] = [];

/** The generated modules this process loaded, and whether their code cache served (for tests and diagnosis). */
export function generatedModuleLoads(): readonly GeneratedModuleLoad[] {
  return outcomes;
}

/** The code cache file of a generated module as it is now, or undefined without a cache folder. */
export function codeCacheFileOf(file: string): string | undefined {
  return codeCacheFile(fs.readFileSync(file, 'utf8'));
}

/** Where the code cache of `source` is kept for this Node.js, or undefined without a cache folder. */
function codeCacheFile(source: string): string | undefined {
  const folder = libraryCacheFolder('code-cache');
  if (folder === undefined) return undefined;
  const key = createHash('sha256').update(source).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
  return path.join(folder, `${key}.bin`);
}

/** Two generations of every generated module: the files of a version and of the one before. */
const MAX_CACHES = 16;

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Best effort: without a cache, the next run compiles the code as it always did. */
function writeCodeCache(file: string, script: vm.Script): void {
  if (!writeCacheFile(file, script.createCachedData())) return;
  try {
    // Each regenerated validator file gets a cache of its own: keep the newest few.
    removeOldest(path.dirname(file), MAX_CACHES, (entry) => fs.rmSync(entry, { force: true }));
  } catch {
    // Pruning again after the next write is as good.
  }
}
