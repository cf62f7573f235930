#!/usr/bin/env node
// Makes `npm run synth` and `npm test` work on a fresh clone: installs exactly what the
// lockfile says (npm ci) when node_modules is missing or was installed from another lockfile,
// and, with --monitoring-tools, Debian's `prometheus` and `prometheus-alertmanager` packages,
// whose promtool and amtool the monitoring tests run.
// Plain Node with no dependencies, because it runs before anything is installed.
const { execSync, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function ensureNodeModules() {
  const lockfile = path.join(root, 'package-lock.json');
  const marker = path.join(root, 'node_modules', '.installed-from-lockfile');
  const wanted = crypto.createHash('sha256').update(fs.readFileSync(lockfile)).digest('hex');
  const installed = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : '';
  if (installed === wanted) return;
  console.error('Installing dependencies from package-lock.json (npm ci)...');
  // backport, an optional dependency of cdk8s-plus-27, is a CLI the library never loads.
  execSync('npm ci --omit=optional --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
  fs.writeFileSync(marker, `${wanted}\n`);
}

/** The command-line tools the monitoring tests run, and the Debian package of each. */
const MONITORING_TOOLS = [
  { tool: 'promtool', pkg: 'prometheus' },
  { tool: 'amtool', pkg: 'prometheus-alertmanager' },
];

function has(tool) {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

function ensureMonitoringTools() {
  const missing = MONITORING_TOOLS.filter(({ tool }) => !has(tool));
  if (missing.length === 0) return;
  const install = `apt-get update && apt-get install -y --no-install-recommends ${missing.map(({ pkg }) => pkg).join(' ')}`;
  const names = missing.map(({ tool }) => tool).join(' and ');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`${names} missing and cannot be installed from here. Install with: sudo sh -c '${install}'`);
    process.exit(1);
  }
  console.error(`Installing ${names} (${install})...`);
  execSync(install, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

ensureNodeModules();
if (process.argv.includes('--monitoring-tools')) ensureMonitoringTools();
