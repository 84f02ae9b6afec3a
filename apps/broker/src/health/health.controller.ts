import { Controller, Get, Header } from '@nestjs/common';
import { z } from 'zod';
import { AppError } from '#libs/errors';
import { Database, hasPendingMigrations } from '#libs/persistence';
import { migrations } from '#migrations';
import { Metrics } from '../metrics/metrics.js';
import { problemResponses } from '../http/problem-responses.js';
import { Route } from '../http/route-spec.js';

const statusView = z.object({ status: z.string() }).meta({ id: 'Status' });

@Controller()
export class HealthController {
  constructor(
    private readonly database: Database,
    private readonly metrics: Metrics,
  ) {}

  @Get('healthz')
  @Route({
    operationId: 'getHealth',
    summary: 'The process is up',
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'Up', schema: statusView } },
  })
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Route({
    operationId: 'getReadiness',
    summary: 'The database is reachable and every migration is applied',
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'Ready', schema: statusView }, ...problemResponses(503) },
  })
  async ready() {
    let pending: boolean;
    try {
      await this.database.query('SELECT 1');
      pending = await hasPendingMigrations(this.database, migrations);
    } catch {
      throw new AppError('not_ready', 'the database is unreachable');
    }
    if (pending) throw new AppError('not_ready', 'database migrations are pending');
    return { status: 'ready' };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Route({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
  })
  scrape() {
    return this.metrics.registry.metrics();
  }
}
