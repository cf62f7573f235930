#!/usr/bin/env node
// Makes `npm run synth` and `npm test` work on a fresh clone: installs exactly what the
// lockfile says (npm ci) when node_modules is missing or was installed from another lockfile.
// Plain Node with no dependencies, because it runs before anything is installed.
const { execSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const lockfile = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.installed-from-lockfile');

const wanted = crypto.createHash('sha256').update(fs.readFileSync(lockfile)).digest('hex');
const installed = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : '';

if (installed !== wanted) {
  console.error('Installing dependencies from package-lock.json (npm ci)...');
  // backport, an optional dependency of cdk8s-plus-27, is a CLI the library never loads.
  execSync('npm ci --omit=optional --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
  fs.writeFileSync(marker, `${wanted}\n`);
}
