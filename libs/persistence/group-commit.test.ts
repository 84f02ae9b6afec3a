import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from './group-commit.js';

/** A commit that records each batch it was given and waits for `release`. */
function gatedCommits(fails: (batch: string[]) => boolean = () => false) {
  const batches: string[][] = [];
  let open = 0;
  let peak = 0;
  const gates: Array<() => void> = [];
  const queue = new GroupCommit<string, string>(async (key, batch) => {
    batches.push([key, ...batch]);
    open += 1;
    peak = Math.max(peak, open);
    await new Promise<void>((release) => gates.push(release));
    open -= 1;
    if (fails(batch)) throw new Error(`batch of ${batch.length} failed`);
    return (index) => {
      if (batch[index].startsWith('refused')) throw new Error(`${batch[index]} refused`);
      return `${batch[index]} committed`;
    };
  }, 3);
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((tick) => setImmediate(tick));
    }
  };
  return { queue, batches, releaseAll, peak: () => peak };
}

test('a key submitted to while its batch commits is queued and committed together, at most maxBatch at a time', async () => {
  const { queue, batches, releaseAll, peak } = gatedCommits();
  const results = ['a', 'b', 'c', 'd', 'e'].map((entry) => queue.submit('tenant-1', entry));
  await releaseAll();
  assert.deepEqual(await Promise.all(results), ['a committed', 'b committed', 'c committed', 'd committed', 'e committed']);
  // The first entry found the key idle; the rest waited for it and went in batches of at most 3, in order.
  assert.deepEqual(batches, [['tenant-1', 'a'], ['tenant-1', 'b', 'c', 'd'], ['tenant-1', 'e']]);
  assert.equal(peak(), 1);
});

test('different keys commit side by side', async () => {
  const { queue, batches, releaseAll, peak } = gatedCommits();
  const results = [queue.submit('tenant-1', 'a'), queue.submit('tenant-2', 'b')];
  await new Promise((tick) => setImmediate(tick));
  assert.equal(batches.length, 2);
  assert.equal(peak(), 2);
  await releaseAll();
  assert.deepEqual(await Promise.all(results), ['a committed', 'b committed']);
});

test('an entry refused in its batch fails alone; the rest of the batch is committed', async () => {
  const { queue, releaseAll } = gatedCommits();
  const results = ['a', 'refused-b', 'c'].map((entry) => queue.submit('tenant-1', entry));
  const settling = Promise.allSettled(results);
  await releaseAll();
  const settled = await settling;
  assert.deepEqual(
    settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message)),
    ['a committed', 'refused-b refused', 'c committed'],
  );
});

test('a failed batch is tried again entry by entry, and only the entry that fails on its own is rejected', async () => {
  const { queue, batches, releaseAll } = gatedCommits((batch) => batch.includes('poison'));
  const results = ['a', 'b', 'poison', 'c'].map((entry) => queue.submit('tenant-1', entry));
  const settling = Promise.allSettled(results);
  await releaseAll();
  const settled = await settling;
  assert.deepEqual(
    settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message)),
    ['a committed', 'b committed', 'batch of 1 failed', 'c committed'],
  );
  assert.deepEqual(batches, [
    ['tenant-1', 'a'],
    ['tenant-1', 'b', 'poison', 'c'],
    ['tenant-1', 'b'],
    ['tenant-1', 'poison'],
    ['tenant-1', 'c'],
  ]);
});
