import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import { costExportQuery, costSummaryExample, costSummaryQuery, costSummaryView, type CostExportQuery, type CostSummaryQuery } from './cost.schemas.js';
import { CostExportService } from './cost-export.service.js';
import { CostsService } from './costs.service.js';

const finance = { kind: 'tenant', roles: ['finance'] } as const;

@Controller('v1/costs')
export class CostsController {
  constructor(
    private readonly costs: CostsService,
    private readonly exports: CostExportService,
  ) {}

  @Get('summary')
  @Route({
    operationId: 'getCostSummary',
    summary: "The tenant's costs in [from, to), grouped by user, agent, provider or day; exact decimal USD",
    tag: 'Costs',
    access: finance,
    query: costSummaryQuery,
    responses: { 200: { description: 'Cost and usage per group', schema: costSummaryView, example: costSummaryExample }, ...problemResponses(400, 401, 403) },
  })
  summary(@Valid('query') query: CostSummaryQuery) {
    return this.costs.summary(query);
  }

  @Get('export')
  @Route({
    operationId: 'exportCosts',
    summary: 'Stream the charge lines in [from, to): FinOps FOCUS 1.2/1.3 as CSV or JSON Lines, or a plain CSV',
    tag: 'Costs',
    access: finance,
    query: costExportQuery,
    responses: {
      200: { description: 'text/csv (focus-csv, csv) or application/x-ndjson (focus-jsonl), one row per session, charge type and clock hour; in focus-jsonl decimals are strings and Tags/SkuPriceDetails serialized JSON objects', contentType: 'text/csv' },
      ...problemResponses(400, 401, 403),
    },
  })
  export(@Valid('query') query: CostExportQuery, @Res() response: Response) {
    return this.exports.export(query, response);
  }
}
