import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import {
  auditEventPage,
  auditEventQuery,
  bindingPage,
  bindingQuery,
  exportQuery,
  platformAuditQuery,
  verifyView,
  type AuditEventQuery,
  type BindingQuery,
  type ExportQuery,
  type PlatformAuditQuery,
} from './audit.schemas.js';
import { AuditService } from './audit.service.js';

const auditor = { kind: 'tenant', roles: ['auditor'] } as const;

@Controller('v1')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit/events')
  @Route({
    operationId: 'listAuditEvents',
    summary: "The tenant's audit events, in seq order",
    tag: 'Audit',
    access: auditor,
    query: auditEventQuery,
    responses: { 200: { description: 'A page of events', schema: auditEventPage }, ...problemResponses(400, 401, 403) },
  })
  events(@Valid('query') query: AuditEventQuery) {
    return this.audit.events(query);
  }

  @Get('audit/bindings')
  @Route({
    operationId: 'listAuditBindings',
    summary: 'Who owns which session: user ↔ session ↔ provider session, current and past',
    tag: 'Audit',
    access: auditor,
    query: bindingQuery,
    responses: { 200: { description: 'A page of bindings', schema: bindingPage }, ...problemResponses(400, 401, 403) },
  })
  bindings(@Valid('query') query: BindingQuery) {
    return this.audit.bindings(query);
  }

  @Get('audit/verify')
  @Route({
    operationId: 'verifyAuditChain',
    summary: "Recomputes the tenant's hash chain and names the first bad seq",
    tag: 'Audit',
    access: auditor,
    responses: { 200: { description: 'The verdict', schema: verifyView }, ...problemResponses(401, 403) },
  })
  verify() {
    return this.audit.verify();
  }

  @Get('audit/export')
  @Route({
    operationId: 'exportAuditEvents',
    summary: 'Streams the audit events as JSON lines, or as OCSF API Activity events',
    tag: 'Audit',
    access: auditor,
    query: exportQuery,
    responses: { 200: { description: 'One event per line', contentType: 'application/x-ndjson' }, ...problemResponses(400, 401, 403) },
  })
  export(@Valid('query') query: ExportQuery, @Res() response: Response) {
    return this.audit.export(query, response);
  }

  @Get('platform/audit/events')
  @Route({
    operationId: 'listPlatformAuditEvents',
    summary: 'Audit events across every tenant, or of one (platform operator)',
    tag: 'Audit',
    access: { kind: 'operator' },
    query: platformAuditQuery,
    responses: { 200: { description: 'A page of events', schema: auditEventPage }, ...problemResponses(400, 401, 403) },
  })
  platformEvents(@Valid('query') query: PlatformAuditQuery) {
    return this.audit.platformEvents(query);
  }
}
