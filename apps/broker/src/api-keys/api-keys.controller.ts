import { Controller, Delete, Get, Post } from '@nestjs/common';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import {
  apiKeyPage,
  apiKeyView,
  createApiKeyBody,
  createdApiKeyView,
  keyIdParams,
  listApiKeysQuery,
  tenantIdParams,
  type CreateApiKeyBody,
} from './api-key.schemas.js';
import { ApiKeysService } from './api-keys.service.js';

@Controller('v1')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post('tenants/:tenantId/api-keys')
  @Route({
    operationId: 'createTenantApiKey',
    summary: 'Create an API key for a tenant (platform operator)',
    tag: 'API keys',
    access: { kind: 'operator' },
    params: tenantIdParams,
    body: createApiKeyBody,
    responses: { 201: { description: 'The key, with its secret shown once', schema: createdApiKeyView }, ...problemResponses(400, 401, 403, 404) },
  })
  createForTenant(@Valid('params') params: { tenantId: string }, @Valid('body') body: CreateApiKeyBody) {
    return this.apiKeys.createForTenant(params.tenantId, body);
  }

  @Post('api-keys')
  @Route({
    operationId: 'createApiKey',
    summary: "Create an API key for the caller's tenant (tenant admin)",
    tag: 'API keys',
    access: { kind: 'tenant', roles: ['admin'] },
    body: createApiKeyBody,
    responses: { 201: { description: 'The key, with its secret shown once', schema: createdApiKeyView }, ...problemResponses(400, 401, 403) },
  })
  createOwn(@Valid('body') body: CreateApiKeyBody) {
    return this.apiKeys.createOwn(body);
  }

  @Get('api-keys')
  @Route({
    operationId: 'listApiKeys',
    summary: "List the caller's tenant's API keys, without secrets (tenant admin)",
    tag: 'API keys',
    access: { kind: 'tenant', roles: ['admin'] },
    query: listApiKeysQuery,
    responses: { 200: { description: 'A page of keys', schema: apiKeyPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: { limit: number; cursor?: string }) {
    return this.apiKeys.listOwn(query.limit, query.cursor);
  }

  @Delete('api-keys/:keyId')
  @Route({
    operationId: 'revokeApiKey',
    summary: "Revoke an API key (platform operator, or a tenant admin for its own tenant's keys)",
    tag: 'API keys',
    access: { kind: 'tenant', roles: ['admin'], operator: true },
    params: keyIdParams,
    responses: { 200: { description: 'The revoked key', schema: apiKeyView }, ...problemResponses(400, 401, 403, 404) },
  })
  revoke(@Valid('params') params: { keyId: string }) {
    return this.apiKeys.revoke(params.keyId);
  }
}
