import { Controller, Delete, Get, Post } from '@nestjs/common';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import {
  createTargetGrantBody,
  grantIdParams,
  listTargetGrantsQuery,
  targetGrantPage,
  targetGrantView,
  tenantGrantParams,
  type CreateTargetGrantBody,
} from './target-grant.schemas.js';
import { TargetGrantsService } from './target-grants.service.js';

/** What each tenant may target (README: Target grants): the platform operator's allowlist. */
@Controller('v1')
export class TargetGrantsController {
  constructor(private readonly grants: TargetGrantsService) {}

  @Get('target-grants')
  @Route({
    operationId: 'listOwnTargetGrants',
    summary: "List what the caller's tenant may target, as the platform operator granted it (tenant admin)",
    tag: 'Agents',
    access: { kind: 'tenant', roles: ['admin'] },
    query: listTargetGrantsQuery,
    responses: { 200: { description: 'A page of grants', schema: targetGrantPage }, ...problemResponses(400, 401, 403) },
  })
  listOwn(@Valid('query') query: { limit: number; cursor?: string }) {
    return this.grants.listOwn(query.limit, query.cursor);
  }

  @Post('tenants/:tenantId/target-grants')
  @Route({
    operationId: 'grantTarget',
    summary: "Grant a tenant a provider scope its agents may target: an AWS account, a Foundry project, a GCP project, a Claude agent or environment (platform operator)",
    tag: 'Tenants',
    access: { kind: 'operator' },
    params: tenantGrantParams,
    body: createTargetGrantBody,
    responses: { 201: { description: 'The grant', schema: targetGrantView }, ...problemResponses(400, 401, 403, 404, 409) },
  })
  grant(@Valid('params') params: { tenantId: string }, @Valid('body') body: CreateTargetGrantBody) {
    return this.grants.grant(params.tenantId, body);
  }

  @Get('tenants/:tenantId/target-grants')
  @Route({
    operationId: 'listTargetGrants',
    summary: "List a tenant's target grants (platform operator)",
    tag: 'Tenants',
    access: { kind: 'operator' },
    params: tenantGrantParams,
    query: listTargetGrantsQuery,
    responses: { 200: { description: 'A page of grants', schema: targetGrantPage }, ...problemResponses(400, 401, 403, 404) },
  })
  list(@Valid('params') params: { tenantId: string }, @Valid('query') query: { limit: number; cursor?: string }) {
    return this.grants.list(params.tenantId, query.limit, query.cursor);
  }

  @Delete('tenants/:tenantId/target-grants/:grantId')
  @Route({
    operationId: 'revokeTargetGrant',
    summary: 'Revoke a target grant: agents on that scope can no longer start sessions (platform operator)',
    tag: 'Tenants',
    access: { kind: 'operator' },
    params: grantIdParams,
    responses: { 204: { description: 'Revoked' }, ...problemResponses(400, 401, 403, 404) },
  })
  async revoke(@Valid('params') params: { tenantId: string; grantId: string }): Promise<void> {
    await this.grants.revoke(params.tenantId, params.grantId);
  }
}
