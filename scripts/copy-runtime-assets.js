// `npm run build`, after tsc: copies into build/ the files the library reads or loads at run time
// that tsc does not emit: the generated validators (committed JavaScript) and the schemas.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const VALIDATION = path.join('lib', 'synth', 'validation');
const GENERATED_JAVASCRIPT = /^_(?:compiled|format)-validators(?:-[a-z0-9.-]+)?\.js$/;

const assets = [
  ...fs.readdirSync(path.join(ROOT, VALIDATION)).filter((file) => GENERATED_JAVASCRIPT.test(file)).sort().map((file) => path.join(VALIDATION, file)),
  path.join(VALIDATION, 'k8s-schema.json'),
  path.join('imports', 'crd-schemas.json'),
];
for (const asset of assets) fs.copyFileSync(path.join(ROOT, asset), path.join(ROOT, 'build', asset));
