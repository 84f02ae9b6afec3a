import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptNodeFlags } from '../support/broker-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The heap budget (README → Operations → Memory) is written twice: in
 * package.json's start script and in the image's CMD. They must not drift,
 * or the image would run without the budget the export figures rely on.
 */
test('the image runs the broker with the same Node flags as npm start', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  assert.ok(cmd, 'the Dockerfile has an exec-form CMD');
  const words = JSON.parse(cmd) as string[];
  assert.equal(words[0], 'node');
  assert.deepEqual(
    words.filter((word) => word.startsWith('--')),
    startScriptNodeFlags(),
  );
  assert.ok(startScriptNodeFlags().some((flag) => flag.startsWith('--max-old-space-size=')), 'npm start sets a heap budget');
});
