// Runs this repository's TypeScript (main.ts, lib/, the validation plugin) without a build step,
// transpiling each file once: `node -r ./scripts/register-ts.js main.ts`.
//
// Why not ts-node: it loads the TypeScript compiler and transpiles every file on every run, about
// 1.5 s of a 2-second synth. Here the JavaScript of each file is cached under node_modules/.cache,
// keyed by a hash of the file, the compiler options and the TypeScript version, so a run whose
// sources did not change never loads the compiler. Type errors are `npm run typecheck`'s job,
// as with `ts-node --transpile-only`.
//
// Preloaded with `node -r`, it also keeps V8's code cache of every module the process loads
// (installCodeCache below): a run whose modules did not change skips compiling them, about a
// fifth of the reference platform's synth.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'register-ts');
const TSCONFIG = fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');
const TYPESCRIPT_VERSION = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json', { paths: [ROOT] }), 'utf8')).version;

let compiler;

/** The compiler and the project's options, loaded on the first cache miss only. */
function loadCompiler() {
  if (compiler === undefined) {
    const ts = require(require.resolve('typescript', { paths: [ROOT] }));
    const { config, error } = ts.parseConfigFileTextToJson('tsconfig.json', TSCONFIG);
    if (error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
    const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
    compiler = { ts, options: { ...options, sourceMap: false, inlineSourceMap: false, declaration: false } };
  }
  return compiler;
}

function transpile(source, filename) {
  const { ts, options } = loadCompiler();
  const { outputText, diagnostics } = ts.transpileModule(source, { compilerOptions: options, fileName: filename, reportDiagnostics: true });
  if (diagnostics && diagnostics.length > 0) {
    const messages = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    throw new Error(`${path.relative(ROOT, filename)}: ${messages.join('; ')}`);
  }
  return outputText;
}

function cachedJavaScript(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(`${TYPESCRIPT_VERSION}\0${TSCONFIG}\0${path.relative(ROOT, filename)}\0${source}`).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    const javascript = transpile(source, filename);
    // Written under a temporary name and renamed, so a parallel run never reads half a file.
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, javascript);
    fs.renameSync(partial, cached);
    return javascript;
  }
}

require.extensions['.ts'] = (module, filename) => {
  if (filename.endsWith('.d.ts') || filename.includes(`${path.sep}node_modules${path.sep}`)) {
    throw new Error(`register-ts: refusing to run ${filename}: only this repository's TypeScript sources are transpiled.`);
  }
  module._compile(cachedJavaScript(filename), filename);
};

/**
 * V8's code cache for every CommonJS module of the process, in the same cache folder: Node.js 20
 * compiles each module's source on every start (Node.js 22 has `module.enableCompileCache()`,
 * which does this). The cache is keyed by Node.js version, file and source, and V8 itself
 * refuses data it did not produce for this source and these flags; refused or missing data is
 * produced again and written when the process exits. Only for processes that preload this file:
 * loaded by the validation plugin inside cdk8s-cli, it leaves the CLI's own loading alone.
 */
function installCodeCache() {
  const Module = require('module');
  const vm = require('vm');
  const folder = path.join(CACHE_DIR, `v8-${process.version}-${process.arch}`);
  const produced = [];
  Module.prototype._compile = function compileWithCodeCache(content, filename) {
    const key = crypto.createHash('sha256').update(`${filename}\0${content}`).digest('hex');
    const file = path.join(folder, `${key}.bin`);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      // Not cached yet.
    }
    const script = new vm.Script(Module.wrap(content), {
      filename, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData === undefined || script.cachedDataRejected) produced.push({ file, script });
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, requireFor(this, Module), this, filename, path.dirname(filename));
  };
  process.once('exit', () => {
    for (const { file, script } of produced) {
      try {
        fs.mkdirSync(folder, { recursive: true });
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, script.createCachedData());
        fs.renameSync(partial, file);
      } catch {
        // A cache that cannot be written only costs the next run its compile time.
      }
    }
  });
}

/** The `require` a module gets, as Node.js makes it. */
function requireFor(module, Module) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

if (module.parent && module.parent.id === 'internal/preload') installCodeCache();
