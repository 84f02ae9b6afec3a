import { Controller, Delete, Get, Patch, Post } from '@nestjs/common';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import { agentCheckView, agentExample, createAgentExample, agentIdParams, agentPage, agentView, createAgentBody, listAgentsQuery, updateAgentBody, type CreateAgentBody, type UpdateAgentBody } from './agent.schemas.js';
import { AgentTargetChecks } from './agent-target-checks.js';
import { AgentsService } from './agents.service.js';

const admin = { kind: 'tenant', roles: ['admin'] } as const;

@Controller('v1/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly checks: AgentTargetChecks,
  ) {}

  @Post()
  @Route({
    operationId: 'createAgent',
    summary: 'Create a portable agent definition',
    tag: 'Agents',
    access: admin,
    body: createAgentBody,
    bodyExample: createAgentExample,
    responses: { 201: { description: 'The agent', schema: agentView, example: agentExample }, ...problemResponses(400, 401, 403, 409) },
  })
  create(@Valid('body') body: CreateAgentBody) {
    return this.agents.create(body);
  }

  @Get()
  @Route({
    operationId: 'listAgents',
    summary: "List the tenant's agents",
    tag: 'Agents',
    access: admin,
    query: listAgentsQuery,
    responses: { 200: { description: 'A page of agents', schema: agentPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: { limit: number; cursor?: string }) {
    return this.agents.list(query.limit, query.cursor);
  }

  @Get(':id')
  @Route({
    operationId: 'getAgent',
    summary: 'One agent',
    tag: 'Agents',
    access: admin,
    params: agentIdParams,
    responses: { 200: { description: 'The agent', schema: agentView }, ...problemResponses(400, 401, 403, 404) },
  })
  get(@Valid('params') params: { id: string }) {
    return this.agents.get(params.id);
  }

  @Patch(':id')
  @Route({
    operationId: 'updateAgent',
    summary: 'Change an agent: fields sent replace the current ones',
    tag: 'Agents',
    access: admin,
    params: agentIdParams,
    body: updateAgentBody,
    responses: { 200: { description: 'The agent', schema: agentView }, ...problemResponses(400, 401, 403, 404, 409) },
  })
  update(@Valid('params') params: { id: string }, @Valid('body') body: UpdateAgentBody) {
    return this.agents.update(params.id, body);
  }

  @Delete(':id')
  @Route({
    operationId: 'deleteAgent',
    summary: 'Delete an agent (409 while it has live sessions)',
    tag: 'Agents',
    access: admin,
    params: agentIdParams,
    responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404, 409) },
  })
  remove(@Valid('params') params: { id: string }) {
    return this.agents.remove(params.id);
  }

  @Post(':id/check')
  @Route({
    operationId: 'checkAgent',
    summary: "Ask each target's runtime whether the target exists and can serve (no session is opened)",
    tag: 'Agents',
    access: admin,
    params: agentIdParams,
    responses: { 200: { description: 'One answer per target, keyed by provider', schema: agentCheckView }, ...problemResponses(400, 401, 403, 404) },
  })
  check(@Valid('params') params: { id: string }) {
    return this.checks.check(params.id);
  }
}
