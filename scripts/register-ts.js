// Runs this repository's TypeScript (main.ts, lib/, the validation plugin) without a build step,
// transpiling each file once: `node -r ./scripts/register-ts.js main.ts`.
//
// Why not ts-node: it loads the TypeScript compiler and transpiles every file on every run, about
// 1.5 s of a 2-second synth. Here the JavaScript of each file is cached under node_modules/.cache,
// keyed by a hash of the file, the compiler options and the TypeScript version, so a run whose
// sources did not change never loads the compiler. Type errors are `npm run typecheck`'s job,
// as with `ts-node --transpile-only`.
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
