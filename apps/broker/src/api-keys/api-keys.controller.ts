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
  rotateApiKeyBody,
  tenantIdParams,
  type CreateApiKeyBody,
  type RotateApiKeyBody,
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
    summary: "List API keys without secrets: a tenant admin its own tenant's, the platform operator those of `?tenant=`",
    tag: 'API keys',
    access: { kind: 'tenant', roles: ['admin'], operator: true },
    query: listApiKeysQuery,
    responses: { 200: { description: 'A page of keys', schema: apiKeyPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: { limit: number; cursor?: string; tenant?: string }) {
    return this.apiKeys.list(query.limit, query.cursor, query.tenant);
  }

  @Post('api-keys/:keyId/rotate')
  @Route({
    operationId: 'rotateApiKey',
    summary:
      'Rotate an API key: a new key (new id and secret, same role and name) shown once; the old one keeps working for graceSeconds, then answers 401 ' +
      '(platform operator, or a tenant admin for its own tenant\'s keys). 409 for a revoked, expired or already rotated key',
    tag: 'API keys',
    access: { kind: 'tenant', roles: ['admin'], operator: true },
    params: keyIdParams,
    body: rotateApiKeyBody,
    responses: { 201: { description: 'The new key, with its secret shown once', schema: createdApiKeyView }, ...problemResponses(400, 401, 403, 404, 409) },
  })
  rotate(@Valid('params') params: { keyId: string }, @Valid('body') body: RotateApiKeyBody) {
    return this.apiKeys.rotate(params.keyId, body);
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
