#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's test runner.
// `npm test` builds first (pretest). The database is the embedded one unless
// DATABASE_URL is set. Pass file filters as arguments: `npm test -- identity`.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`Switchboard needs Node 22.13+, this is ${process.version}. Run through npm (npm test), which uses the pinned node from node_modules/.bin.`);
  process.exit(1);
}

const root = path.resolve('dist');
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) walk(full);
    else if (entry.endsWith('.test.js')) files.push(full);
  }
};
walk(root);
// The live suite talks to real clouds: only `npm run test:live` (--live) runs it.
const live = process.argv.includes('--live');
const filters = process.argv.slice(2).filter((argument) => argument !== '--live');
const selected = files
  .filter((file) => live === file.includes(`${path.sep}test${path.sep}live${path.sep}`))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
console.log(`running ${selected.length} test files on the ${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'} database`);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, '--test-timeout=300000', ...selected],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
