import 'reflect-metadata';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Body, Controller, Injectable, Module, Param, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { startScriptNodeFlags } from '../support/broker-process.js';
import { percentile, processCpuMs, processMemoryMiB, runConcurrently } from './stats.js';

/**
 * What the HTTP layer alone costs per request (issue 17: "an HTTP adapter
 * with less per-request work … measure before switching"). The same request
 * as a turn's (POST /v1/sessions/{id}/turns, a bearer key, a small JSON body,
 * a small JSON answer) served with no broker work behind it, by three servers
 * of increasing framework: plain `node:http` (the body read and parsed by
 * hand), Express with its JSON body parser, and Nest on Express with a
 * global guard reading the key and a controller method (the broker's
 * shape). Each server runs in a process of its own; its CPU per request is
 * read from /proc over the run, so the client's CPU is not counted.
 */
export interface FrameworkRow {
  server: 'node:http' | 'express' | 'nest (express)';
  requests: number;
  /** Server process CPU per request (ms). */
  cpuMsPerRequest: number;
  /** Round trip seen by the client, one request at a time (ms). */
  p50Ms: number;
  p99Ms: number;
}

type ServerKind = FrameworkRow['server'];
const answer = (id: string, body: unknown) => ({ id, accepted: true, echo: body });

function serveNodeHttp(): http.Server {
  return http.createServer((request, response) => {
    const match = /^\/v1\/sessions\/([^/]+)\/turns$/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match || !request.headers.authorization?.startsWith('Bearer ')) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      const json = JSON.stringify(answer(match[1], body));
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) }).end(json);
    });
  });
}

function serveExpress(): http.Server {
  const app = express();
  app.use(express.json());
  app.post('/v1/sessions/:id/turns', (request, response) => {
    if (!request.headers.authorization?.startsWith('Bearer ')) return void response.status(401).end();
    response.json(answer(request.params.id, request.body));
  });
  return http.createServer(app);
}

@Injectable()
class KeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<http.IncomingMessage>().headers.authorization?.startsWith('Bearer ') ?? false;
  }
}

@Controller('v1/sessions')
class TurnsController {
  @Post(':id/turns')
  turn(@Param('id') id: string, @Body() body: unknown) {
    return answer(id, body);
  }
}

@Module({ controllers: [TurnsController], providers: [{ provide: APP_GUARD, useClass: KeyGuard }] })
class FrameworkModule {}

async function serve(kind: ServerKind): Promise<number> {
  if (kind === 'nest (express)') {
    const app = await NestFactory.create<NestExpressApplication>(FrameworkModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    return (app.getHttpServer().address() as { port: number }).port;
  }
  const server = kind === 'express' ? serveExpress() : serveNodeHttp();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

export async function benchFramework(requests = Number(process.env.BENCH_FRAMEWORK_REQUESTS ?? 5_000)): Promise<FrameworkRow[]> {
  const rows: FrameworkRow[] = [];
  for (const kind of ['node:http', 'express', 'nest (express)'] as const) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), kind], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(Number(/listening (\d+)/.exec(chunk.toString())?.[1])));
        child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code})`)));
      });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const body = JSON.stringify({ input: 'a question of about the size a turn carries' });
      const once = () =>
        new Promise<number>((resolve, reject) => {
          const started = performance.now();
          const call = http.request(
            { host: '127.0.0.1', port, method: 'POST', path: '/v1/sessions/ses_01JBENCH/turns', agent, headers: { authorization: 'Bearer sbk_bench', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
            (response) => {
              if (response.statusCode !== 200 && response.statusCode !== 201) reject(new Error(`${kind} answered ${response.statusCode}`));
              response.resume();
              response.on('end', () => resolve(performance.now() - started));
            },
          );
          call.on('error', reject);
          call.end(body);
        });
      // Warm: the JIT, the connection.
      await runConcurrently(1, 1_000, () => once());
      const cpuBefore = processCpuMs(child.pid!);
      const times = await runConcurrently(1, requests, () => once());
      const cpuMs = processCpuMs(child.pid!) - cpuBefore;
      agent.destroy();
      rows.push({ server: kind, requests, cpuMsPerRequest: Math.round((cpuMs / requests) * 1000) / 1000, p50Ms: Math.round(percentile(times, 50) * 1000) / 1000, p99Ms: Math.round(percentile(times, 99) * 1000) / 1000 });
    } finally {
      child.kill('SIGTERM');
    }
  }
  return rows;
}

/**
 * The idle RSS of the broker's frameworks alone (issue 17 item 7's floor):
 * Nest on Express serving the route above, with a `pg` pool holding one
 * connection to `databaseUrl`, started with `npm start`'s Node flags and
 * read after the same idle pause as the broker's. No broker code, no
 * database work, no provider SDK.
 */
export async function idleFrameworkRssMiB(databaseUrl: string, idleMs: number): Promise<number> {
  const child = spawn(process.execPath, [...startScriptNodeFlags(), fileURLToPath(import.meta.url), 'nest (express)', 'with-pg'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the framework server exited (${code})`)));
    });
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    return processMemoryMiB(child.pid!);
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[3] === 'with-pg') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    await pool.query('SELECT 1');
  }
  const port = await serve(process.argv[2] as ServerKind);
  process.stdout.write(`listening ${port}\n`);
}
