import { spawnSync } from 'child_process';
import * as path from 'path';

// The library takes cdk8s-plus-27's Kubernetes classes and Cpu from the package's own modules
// (lib/core/cdk8s-plus.ts), not through its index: it must load less, and the same classes.

const ROOT = path.join(__dirname, '..', '..');

test("loading the library loads none of cdk8s-plus-27's L2 constructs, and gives the very classes the package's index exports", () => {
  const child = `
    const plusModules = () => Object.keys(require.cache).filter((file) => file.includes('/node_modules/cdk8s-plus-27/')).map((file) => file.replace(/.*node_modules\\/cdk8s-plus-27\\//, '')).sort();
    require('./lib');
    const loadedByLibrary = plusModules();
    const ours = require('./lib/core/cdk8s-plus');
    const plus = require('cdk8s-plus-27');
    console.log(JSON.stringify({
      loadedByLibrary,
      indexLoadsMore: plusModules().length > loadedByLibrary.length,
      sameK8s: ours.k8s === plus.k8s,
      sameCpu: ours.Cpu === plus.Cpu,
      userCpuAccepted: plus.Cpu.millis(250) instanceof ours.Cpu,
    }));
  `;
  const run = spawnSync(process.execPath, ['-r', './scripts/register-ts.js', '-e', child], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  const outcome = JSON.parse(run.stdout.trim().split('\n').pop()!);
  expect(outcome.loadedByLibrary).not.toContain('lib/index.js');
  expect(outcome.loadedByLibrary).toEqual(expect.arrayContaining(['lib/imports/k8s.js', 'lib/container.js']));
  expect(outcome).toMatchObject({ indexLoadsMore: true, sameK8s: true, sameCpu: true, userCpuAccepted: true });
});
