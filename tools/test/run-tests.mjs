// `npm test`: builds the apps (the e2e suites start the built stack; Nx caches the build), runs every
// jest project in one run with two workers, and ends with one line `N passed, N failed` from jest's
// JSON results. Fails when any test fails or when no test ran. Extra arguments go to jest.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const env = { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TELEMETRY: 'false' };
const bin = (name) => join(root, 'node_modules', '.bin', name);

const build = spawnSync(bin('nx'), ['run-many', '-t', 'build', '--projects=tag:type:app', '--output-style=static'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('The apps did not build; no test was run.');
  console.log('0 passed, 0 failed');
  process.exit(1);
}

const resultsDir = join(root, 'tmp');
const resultsFile = join(resultsDir, 'jest-results.json');
mkdirSync(resultsDir, { recursive: true });
rmSync(resultsFile, { force: true });

const jest = spawnSync(
  bin('jest'),
  ['--maxWorkers=2', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
  { cwd: root, env, stdio: 'inherit' },
);

let results;
try {
  results = JSON.parse(readFileSync(resultsFile, 'utf8'));
} catch {
  console.error('jest wrote no results.');
  console.log('0 passed, 0 failed');
  process.exit(1);
}
const { numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped, numTotalTests: total } = results;
if (total === 0) console.error('No test ran.');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(jest.status === 0 && failed === 0 && total > 0 ? 0 : 1);
