import { Controller, Get, Post } from '@nestjs/common';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import { sessionIdParams, sessionPage, sessionView } from '../sessions/session.schemas.js';
import { endUserParams, listTenantSessionsQuery, terminatedSessionsView, type ListTenantSessionsQuery } from './admin-sessions.schemas.js';
import { AdminSessionsService } from './admin-sessions.service.js';

const admin = { kind: 'tenant', roles: ['admin'] } as const;

/** Live sessions of the caller's tenant on every runtime, and the kill switch (API.md §5). */
@Controller('v1/admin')
export class AdminSessionsController {
  constructor(private readonly sessions: AdminSessionsService) {}

  @Get('sessions')
  @Route({
    operationId: 'listTenantSessions',
    summary: "The tenant's sessions on every runtime, newest first (live ones unless `status` says otherwise)",
    tag: 'Administration',
    access: admin,
    query: listTenantSessionsQuery,
    responses: { 200: { description: 'A page of sessions', schema: sessionPage }, ...problemResponses(400, 401, 403) },
  })
  list(@Valid('query') query: ListTenantSessionsQuery) {
    return this.sessions.list(query);
  }

  @Post('sessions/:id/terminate')
  @Route({
    operationId: 'adminTerminateSession',
    summary: 'Terminate any session of the tenant (reason `admin`; idempotent); the provider session is stopped',
    tag: 'Administration',
    access: admin,
    params: sessionIdParams,
    responses: { 200: { description: 'The terminated session', schema: sessionView }, ...problemResponses(400, 401, 403, 404) },
  })
  terminate(@Valid('params') params: { id: string }) {
    return this.sessions.terminate(params.id);
  }

  @Post('users/:userId/terminate-sessions')
  @Route({
    operationId: 'adminTerminateUserSessions',
    summary: 'Terminate every live session of one end user of the tenant (reason `admin`)',
    tag: 'Administration',
    access: admin,
    params: endUserParams,
    responses: { 200: { description: 'The sessions this call ended', schema: terminatedSessionsView }, ...problemResponses(400, 401, 403) },
  })
  terminateUser(@Valid('params') params: { userId: string }) {
    return this.sessions.terminateUserSessions(params.userId);
  }
}
