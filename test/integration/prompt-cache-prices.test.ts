import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../support/test-broker.js';

/**
 * What migration PromptCachePrices left in the price book: a version is a
 * complete price set, so its version carries every price of the one before
 * and adds Claude's cache prices at Anthropic's multipliers of the Claude
 * input price (0.1× reads, 1.25× 5-minute writes, 2× 1-hour writes).
 */
describe('migration PromptCachePrices', () => {
  let sb: TestBroker;
  before(async () => {
    sb = await startTestBroker();
  });
  after(() => sb.close());

  test('adds a version with every earlier price and the three Claude cache prices', async () => {
    const rows = await sb.broker.database.database.inPlatform((tx) =>
      tx.rows<{ version: number; provider: string; unit: string; unit_price: string }>(
        `SELECT p.version, p.provider, p.unit, p.unit_price::text FROM prices p
         WHERE p.version IN (SELECT version FROM price_book_versions WHERE note LIKE '%PromptCachePrices%' UNION SELECT version - 1 FROM price_book_versions WHERE note LIKE '%PromptCachePrices%')
         ORDER BY p.provider, p.unit`,
      ),
    );
    const versions = [...new Set(rows.map((row) => row.version))].sort((a, b) => a - b);
    assert.equal(versions.length, 2, 'the migration version and the one before it');
    const [previous, added] = versions.map((version) => new Map(rows.filter((row) => row.version === version).map((row) => [`${row.provider}/${row.unit}`, row.unit_price])));
    for (const [key, price] of previous) assert.equal(added.get(key), price, `${key} carried over`);
    const input = Number(previous.get('claude/input-mtok'));
    assert.ok(input > 0);
    assert.deepEqual(
      [...added.keys()].filter((key) => !previous.has(key)).sort(),
      ['claude/cache-read-mtok', 'claude/cache-write-1h-mtok', 'claude/cache-write-5m-mtok'],
    );
    assert.equal(Number(added.get('claude/cache-read-mtok')).toFixed(10), (input * 0.1).toFixed(10));
    assert.equal(Number(added.get('claude/cache-write-5m-mtok')).toFixed(10), (input * 1.25).toFixed(10));
    assert.equal(Number(added.get('claude/cache-write-1h-mtok')).toFixed(10), (input * 2).toFixed(10));
  });
});
