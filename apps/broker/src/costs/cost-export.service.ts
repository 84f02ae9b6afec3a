import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { Database } from '#libs/persistence';
import { drainedOrGone } from '../http/backpressure.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { logger } from '../logging/logger.js';
import type { CostExportQuery } from './cost.schemas.js';
import { CostRepository, type ExportCursor } from './cost.repository.js';
import { csvEncoder, jsonLinesEncoder, type ExportEncoder } from './export-encoders.js';
import { exportColumns } from './focus-columns.js';

/** Rows per page: each page is one short transaction. */
const pageSize = 500;
/**
 * Rows per write. A write stays well under V8's large-object size (~128 KiB
 * of string), so its garbage dies young in a scavenge instead of piling up
 * in large-object space until a full collection: that is what keeps the
 * resident size flat over a million rows.
 */
const rowsPerWrite = 64;

/**
 * Streams the tenant's charge lines in constant memory: one keyset page at
 * a time, each read in its own short transaction (a slow client never holds
 * a database connection, which matters most on the embedded database's
 * single one), written in small pieces, each only once the socket has
 * drained the previous ones (backpressure).
 *
 * Lines recorded while an export runs are included when their period lies
 * ahead of the cursor; an export of a closed period is stable.
 */
@Injectable()
export class CostExportService {
  constructor(private readonly database: Database) {}

  async export(query: CostExportQuery, response: Response): Promise<void> {
    const { tenantId } = currentTenantPrincipal();
    const from = new Date(query.from).toISOString();
    const to = new Date(query.to).toISOString();
    const tenantName = await this.database.inTenant(tenantId, (manager) => new CostRepository(manager).tenantName(tenantId));
    const columns = exportColumns(query.format, query.focusVersion);
    const encoder: ExportEncoder = query.format === 'focus-jsonl' ? jsonLinesEncoder(columns) : csvEncoder(columns);
    const context = { tenantId, tenantName };

    let closed = false;
    response.once('close', () => (closed = true));
    response.status(200);
    response.setHeader('Content-Type', encoder.contentType);
    response.setHeader('Content-Disposition', `attachment; filename="costs-${from.slice(0, 10)}-${to.slice(0, 10)}.${query.format === 'csv' ? 'plain' : `focus-${query.focusVersion}`}.${encoder.extension}"`);
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    const header = encoder.header();
    if (header) response.write(header);

    let cursor: ExportCursor | null = null;
    let rows = 0;
    try {
      while (!closed) {
        const page = await this.database.inTenant(tenantId, (manager) => new CostRepository(manager).exportPage(tenantId, from, to, cursor, pageSize));
        if (page.length === 0) break;
        rows += page.length;
        const last = page[page.length - 1];
        cursor = { startUs: last.start_us, id: last.id };
        for (let offset = 0; offset < page.length && !closed; offset += rowsPerWrite) {
          if (!response.write(encoder.rows(page.slice(offset, offset + rowsPerWrite), context))) await drainedOrGone(response);
        }
        if (page.length < pageSize) break;
      }
      if (!closed) response.end();
    } catch (error) {
      // Headers are gone: the only honest signal left is a cut stream.
      logger.error({ err: error, tenantId, rows }, 'cost export failed mid-stream');
      response.destroy(error instanceof Error ? error : undefined);
    }
  }
}
