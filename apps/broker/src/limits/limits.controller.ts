import { Controller, Delete, Get, Put } from '@nestjs/common';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import { effectivePolicyView, policyUpdate, tenantPolicyView, userIdParams, type PolicyUpdate } from './limits.schemas.js';
import { LimitsService } from './limits.service.js';

const admin = { kind: 'tenant', roles: ['admin'] } as const;

@Controller('v1/limits')
export class LimitsController {
  constructor(private readonly limits: LimitsService) {}

  @Get()
  @Route({
    operationId: 'getLimits',
    summary: "The tenant's limits policy",
    tag: 'Limits',
    access: admin,
    responses: {
      200: { description: 'The effective policy (null: no limit), where each value comes from, and the platform defaults and ceilings', schema: tenantPolicyView },
      ...problemResponses(401, 403),
    },
  })
  get() {
    return this.limits.tenantPolicy();
  }

  @Put()
  @Route({
    operationId: 'updateLimits',
    summary: 'Change the tenant policy: fields sent replace, omitted stay, null removes the limit (up to the platform ceiling); above a ceiling: 400',
    tag: 'Limits',
    access: admin,
    body: policyUpdate,
    responses: { 200: { description: 'The whole policy', schema: tenantPolicyView }, ...problemResponses(400, 401, 403) },
  })
  update(@Valid('body') body: PolicyUpdate) {
    return this.limits.updateTenantPolicy(body);
  }

  @Get('users/:userId')
  @Route({
    operationId: 'getUserLimits',
    summary: "A user's effective policy and current usage",
    tag: 'Limits',
    access: admin,
    params: userIdParams,
    responses: { 200: { description: 'Effective policy and usage', schema: effectivePolicyView }, ...problemResponses(400, 401, 403) },
  })
  getUser(@Valid('params') params: { userId: string }) {
    return this.limits.userPolicy(params.userId);
  }

  @Put('users/:userId')
  @Route({
    operationId: 'updateUserLimits',
    summary: 'Override any field for one user (same rules; null: no limit for this user beyond the platform ceiling)',
    tag: 'Limits',
    access: admin,
    params: userIdParams,
    body: policyUpdate,
    responses: { 200: { description: 'Effective policy and usage', schema: effectivePolicyView }, ...problemResponses(400, 401, 403) },
  })
  updateUser(@Valid('params') params: { userId: string }, @Valid('body') body: PolicyUpdate) {
    return this.limits.updateUserPolicy(params.userId, body);
  }

  @Delete('users/:userId')
  @Route({
    operationId: 'deleteUserLimits',
    summary: "Remove a user's override: the tenant policy applies again",
    tag: 'Limits',
    access: admin,
    params: userIdParams,
    responses: { 200: { description: 'Effective policy and usage', schema: effectivePolicyView }, ...problemResponses(400, 401, 403) },
  })
  removeUser(@Valid('params') params: { userId: string }) {
    return this.limits.removeUserPolicy(params.userId);
  }
}
