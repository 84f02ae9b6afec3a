import { Controller, Get, Put } from '@nestjs/common';
import { tenantRoles } from '#libs/request-context';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import { getPricesQuery, priceBookView, putPricesBody, type PutPricesBody } from './price.schemas.js';
import { PriceBookService } from './price-book.service.js';

@Controller('v1/prices')
export class PricesController {
  constructor(private readonly prices: PriceBookService) {}

  @Get()
  @Route({
    operationId: 'getPrices',
    summary: 'The price book in force (or an earlier version), each price with its source and effective date',
    tag: 'Costs',
    access: { kind: 'tenant', roles: tenantRoles, operator: true },
    query: getPricesQuery,
    responses: { 200: { description: 'The price book', schema: priceBookView }, ...problemResponses(400, 401, 403, 404) },
  })
  get(@Valid('query') query: { version?: number }) {
    return this.prices.get(query.version);
  }

  @Put()
  @Route({
    operationId: 'changePrices',
    summary: 'Change prices (platform operator): makes a new price book version; past costs keep the version they were priced with',
    tag: 'Costs',
    access: { kind: 'operator' },
    body: putPricesBody,
    responses: { 200: { description: 'The new price book version', schema: priceBookView }, ...problemResponses(400, 401, 403) },
  })
  change(@Valid('body') body: PutPricesBody) {
    return this.prices.change(body);
  }
}
