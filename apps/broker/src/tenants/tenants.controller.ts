import { Controller, Get, Post } from '@nestjs/common';
import { Route, Valid } from '../http/route-spec.js';
import { problemResponses } from '../http/problem-responses.js';
import { createTenantBody, listTenantsQuery, tenantPage, tenantView, type CreateTenantBody } from './tenant.schemas.js';
import { TenantsService } from './tenants.service.js';

@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @Route({
    operationId: 'createTenant',
    summary: 'Create a tenant (platform operator)',
    tag: 'Tenants',
    access: { kind: 'operator' },
    body: createTenantBody,
    responses: { 201: { description: 'The new tenant', schema: tenantView }, ...problemResponses(400, 401, 403, 409) },
  })
  create(@Valid('body') body: CreateTenantBody) {
    return this.tenants.create(body.name);
  }

  @Get()
  @Route({
    operationId: 'listTenants',
    summary: 'List tenants (platform operator)',
    tag: 'Tenants',
    access: { kind: 'operator' },
    query: listTenantsQuery,
    responses: { 200: { description: 'A page of tenants', schema: tenantPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: { limit: number; cursor?: string }) {
    return this.tenants.list(query.limit, query.cursor);
  }
}
