import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prompt-cache tokens, metered and priced on their own (issue 15).
 *
 * Claude reports input tokens in three disjoint parts: uncached input,
 * cache reads and cache writes (the latter by cache lifetime), and prices
 * each differently. Until now only the uncached part was metered, so input
 * cost was undercounted.
 *
 * - Three price units: `cache-read-mtok`, `cache-write-5m-mtok`,
 *   `cache-write-1h-mtok` (the CHECKs on `prices.unit` and
 *   `meter_charges.unit` are widened).
 * - `meter_records` keeps the turn's cache tokens next to its input and
 *   output tokens (0 for turns metered before, and for runtimes that report
 *   no cache use).
 * - A new price book version (the book is append-only: a version is the
 *   complete price set, so this one copies every price of the version in
 *   force and adds Claude's cache prices). The prices follow Anthropic's
 *   published multipliers of the base input price
 *   (https://platform.claude.com/docs/en/about-claude/pricing, "Model
 *   pricing" and its prompt-caching multipliers: cache hits 0.1×, 5-minute
 *   cache writes 1.25×, 1-hour cache writes 2×), applied to the Claude
 *   `input-mtok` price in force; on the seeded list (Claude Sonnet 4.5, $3
 *   per million input tokens) that is $0.30, $3.75 and $6, the figures that
 *   page lists for Sonnet 4.5.
 */
const oldUnits = `'session-hour', 'vcpu-hour', 'gib-hour', 'input-mtok', 'output-mtok'`;
const newUnits = `${oldUnits}, 'cache-read-mtok', 'cache-write-5m-mtok', 'cache-write-1h-mtok'`;
const note = 'Claude prompt-cache prices (migration PromptCachePrices)';
const pricingPage = 'https://platform.claude.com/docs/en/about-claude/pricing';
const cachePrices: Array<[unit: string, multiplier: string, source: string]> = [
  ['cache-read-mtok', '0.1', `${pricingPage} (prompt caching: cache hits and refreshes, 0.1 × base input; Claude Sonnet 4.5 $0.30 per million tokens)`],
  ['cache-write-5m-mtok', '1.25', `${pricingPage} (prompt caching: 5-minute cache writes, 1.25 × base input; Claude Sonnet 4.5 $3.75 per million tokens)`],
  ['cache-write-1h-mtok', '2', `${pricingPage} (prompt caching: 1-hour cache writes, 2 × base input; Claude Sonnet 4.5 $6 per million tokens)`],
];
const publishedOn = '2026-12-03';

export class PromptCachePrices1763701520000 implements MigrationInterface {
  name = 'PromptCachePrices1763701520000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of ['prices', 'meter_charges']) {
      await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_unit_check, ADD CONSTRAINT ${table}_unit_check CHECK (unit IN (${newUnits}))`);
    }
    await db.query(`
      ALTER TABLE meter_records
        ADD COLUMN cache_read_input_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN cache_creation_5m_input_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN cache_creation_1h_input_tokens bigint NOT NULL DEFAULT 0`);

    // The new version is the newest from here on: `newest` names it in each statement.
    const newest = `(SELECT max(version) AS version FROM price_book_versions) v`;
    await db.query(`INSERT INTO price_book_versions (version, note) SELECT max(version) + 1, $1 FROM price_book_versions`, [note]);
    await db.query(`
      INSERT INTO prices (version, provider, unit, unit_price, source, effective_date)
      SELECT v.version, p.provider, p.unit, p.unit_price, p.source, p.effective_date FROM prices p, ${newest} WHERE p.version = v.version - 1`);
    for (const [unit, multiplier, source] of cachePrices) {
      // Derived from the Claude input price in force (none: no cache price either).
      await db.query(
        `INSERT INTO prices (version, provider, unit, unit_price, source, effective_date)
         SELECT v.version, 'claude', $1::text, trim_scale(round(p.unit_price * $2::numeric, 10)), $3::text, $4::date
         FROM prices p, ${newest} WHERE p.version = v.version AND p.provider = 'claude' AND p.unit = 'input-mtok'`,
        [unit, multiplier, source, publishedOn],
      );
    }
  }

  async down(db: QueryRunner): Promise<void> {
    // The book is append-only (triggers refuse DELETE): lifted for this one
    // undo. A meter row priced with this version still refers to it (foreign
    // key), and cache lines or prices made since fail the narrowed CHECKs:
    // either way the downgrade stops rather than rewrite history.
    await db.query(`ALTER TABLE prices DISABLE TRIGGER prices_append_only`);
    await db.query(`ALTER TABLE price_book_versions DISABLE TRIGGER price_book_versions_append_only`);
    await db.query(`DELETE FROM prices WHERE version = (SELECT version FROM price_book_versions WHERE note = $1)`, [note]);
    await db.query(`DELETE FROM price_book_versions WHERE note = $1`, [note]);
    await db.query(`ALTER TABLE price_book_versions ENABLE TRIGGER price_book_versions_append_only`);
    await db.query(`ALTER TABLE prices ENABLE TRIGGER prices_append_only`);
    await db.query(`ALTER TABLE meter_records DROP COLUMN cache_read_input_tokens, DROP COLUMN cache_creation_5m_input_tokens, DROP COLUMN cache_creation_1h_input_tokens`);
    for (const table of ['prices', 'meter_charges']) {
      await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_unit_check, ADD CONSTRAINT ${table}_unit_check CHECK (unit IN (${oldUnits}))`);
    }
  }
}
