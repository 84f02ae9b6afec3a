import { Controller, Get, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import {
  auditCheckpointPage,
  auditCheckpointView,
  auditEventPage,
  auditEventPageExample,
  auditEventQuery,
  bindingPage,
  bindingQuery,
  checkpointKeysView,
  checkpointQuery,
  exportQuery,
  platformAuditQuery,
  verifyBody,
  verifyView,
  type AuditEventQuery,
  type BindingQuery,
  type CheckpointQuery,
  type ExportQuery,
  type PlatformAuditQuery,
  type VerifyBody,
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
    responses: { 200: { description: 'A page of events', schema: auditEventPage, example: auditEventPageExample }, ...problemResponses(400, 401, 403) },
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

  @Post('audit/verify')
  @Route({
    operationId: 'verifyAuditChainAgainstCheckpoints',
    summary: 'Recomputes the chain and holds it to checkpoints the caller kept outside the database',
    tag: 'Audit',
    access: auditor,
    body: verifyBody,
    responses: { 200: { description: 'The verdict', schema: verifyView }, ...problemResponses(400, 401, 403) },
  })
  verifyAgainst(@Valid('body') body: VerifyBody) {
    return this.audit.verify(body.checkpoints);
  }

  @Get('audit/checkpoints')
  @Route({
    operationId: 'listAuditCheckpoints',
    summary: "The tenant's signed chain checkpoints, in seq order",
    tag: 'Audit',
    access: auditor,
    query: checkpointQuery,
    responses: { 200: { description: 'A page of checkpoints', schema: auditCheckpointPage }, ...problemResponses(400, 401, 403) },
  })
  checkpoints(@Valid('query') query: CheckpointQuery) {
    return this.audit.listCheckpoints(query);
  }

  @Post('audit/checkpoints')
  @Route({
    operationId: 'createAuditCheckpoint',
    summary: "Signs a checkpoint of the tenant's chain head now (or returns the one already signed at that seq)",
    tag: 'Audit',
    access: auditor,
    responses: { 201: { description: 'The checkpoint of the head', schema: auditCheckpointView }, ...problemResponses(401, 403, 404, 409) },
  })
  checkpointNow() {
    return this.audit.checkpointNow();
  }

  @Get('audit/checkpoint-keys')
  @Route({
    operationId: 'listAuditCheckpointKeys',
    summary: 'The public keys that sign checkpoints, as a JWK set (Ed25519)',
    tag: 'Audit',
    access: auditor,
    responses: { 200: { description: 'The JWK set', schema: checkpointKeysView }, ...problemResponses(401, 403) },
  })
  checkpointKeys() {
    return this.audit.checkpointKeys();
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
