import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import type { z } from 'zod';
import { agentView } from '../../apps/broker/src/agents/agent.schemas.js';
import { auditEventPage } from '../../apps/broker/src/audit/audit.schemas.js';
import { costSummaryView } from '../../apps/broker/src/costs/cost.schemas.js';
import { problemSchema } from '../../apps/broker/src/http/problem-responses.js';
import { eventPage, sessionEvent, turnStreamData } from '../../apps/broker/src/sessions/session-event.schemas.js';
import { eventTypes, sessionView, turnView } from '../../apps/broker/src/sessions/session.schemas.js';
import { parseSse } from '../support/sse.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/** A real answer has every field its documented schema promises (what a generated client relies on). */
function assertDocumented(schema: z.ZodType, body: unknown, what: string): void {
  const result = schema.safeParse(body);
  assert.ok(result.success, `${what} does not match its documented schema: ${result.error?.message}\n${JSON.stringify(body).slice(0, 500)}`);
}

/** The routes Express actually serves, read from its router, independently of our own discovery. */
function servedRoutes(sb: TestBroker): string[] {
  const expressApp = sb.broker.app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } };
  return expressApp.router.stack
    .filter((layer) => layer.route)
    .flatMap((layer) =>
      Object.keys(layer.route!.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${layer.route!.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    )
    .sort();
}

type Schema = { $ref?: string; type?: string; [key: string]: unknown };
type MediaType = { schema?: Schema; example?: unknown };
type Response = { content?: Record<string, MediaType>; headers?: Record<string, unknown> };
type Operation = {
  operationId: string;
  security: unknown[];
  parameters?: Array<{ name: string; in: string; schema: Schema & { pattern?: string } }>;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, Response>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** Every `$ref` and discriminator mapping target in the document, with where it was found. */
function references(value: unknown, at = '#'): Array<{ at: string; ref: string }> {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = `${at}/${key}`;
    if (key === '$ref' && typeof child === 'string') return [{ at: here, ref: child }];
    if (key === 'discriminator' && child && typeof child === 'object') {
      return Object.values((child as { mapping?: Record<string, string> }).mapping ?? {}).map((ref) => ({ at: here, ref }));
    }
    return references(child, here);
  });
}

function resolvePointer(document: unknown, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `${ref} is not local`);
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined), document);
}

/** The routes a client is generated for above all; each must have examples. */
const mainRoutes = {
  createSession: { path: '/v1/sessions', method: 'post', success: '201' },
  runTurn: { path: '/v1/sessions/{id}/turns', method: 'post', success: '200' },
  createAgent: { path: '/v1/agents', method: 'post', success: '201' },
  listAuditEvents: { path: '/v1/audit/events', method: 'get', success: '200' },
  getCostSummary: { path: '/v1/costs/summary', method: 'get', success: '200' },
} as const;

describe('OpenAPI document', () => {
  let sb: TestBroker;
  let document: Document;
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
  before(async () => {
    sb = await startTestBroker();
    document = (await sb.anonymous.get('/openapi.json')).json;
  });
  after(() => sb.close());

  test('validates as OpenAPI 3.x', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.match(document.openapi, /^3\.\d+\.\d+$/);
  });

  test('lists every route the server serves, and nothing else', () => {
    const documented = operations()
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`)
      .sort();
    const served = servedRoutes(sb);
    assert.ok(served.length >= 12, `found only ${served.length} routes`);
    assert.deepEqual(documented, served);
  });

  test('operation ids are unique', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('names its schemas as components, and every $ref resolves', () => {
    const names = Object.keys(document.components.schemas);
    for (const name of ['Session', 'Turn', 'Event', 'TurnStartedEvent', 'Agent', 'TenantPolicy', 'AuditEvent', 'CostGroup', 'Problem', 'ApiKey', 'Tenant']) {
      assert.ok(names.includes(name), `no component ${name}`);
    }
    assert.ok(names.length >= 60, `only ${names.length} components`);
    const refs = references(document);
    assert.ok(refs.length > 200, `only ${refs.length} references`);
    for (const { at, ref } of refs) assert.ok(resolvePointer(document, ref), `${at}: ${ref} resolves to nothing`);
  });

  test('every JSON success response and every request body is a named schema', () => {
    for (const { path, method, operation } of operations()) {
      const parts = [
        ...Object.entries(operation.responses)
          .filter(([status]) => status.startsWith('2'))
          .map(([status, response]) => [`${status} ${response.content ? Object.keys(response.content).join() : ''}`, response.content?.['application/json']] as const),
        ['body', operation.requestBody?.content['application/json']] as const,
      ];
      for (const [part, media] of parts) {
        if (!media?.schema) continue;
        assert.match(media.schema.$ref ?? '', /^#\/components\/schemas\/\w+$/, `${method} ${path} ${part}: inline ${JSON.stringify(media.schema).slice(0, 120)}`);
      }
    }
  });

  test('every error is a Problem, and each route lists the problems it can answer', () => {
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`;
      for (const [status, response] of Object.entries(operation.responses).filter(([status]) => status === 'default' || Number(status) >= 400)) {
        assert.deepEqual(Object.keys(response.content ?? {}), ['application/problem+json'], `${where} ${status}`);
        assert.equal(response.content!['application/problem+json'].schema?.$ref, '#/components/schemas/Problem', `${where} ${status}`);
      }
      const statuses = Object.keys(operation.responses);
      if (operation.security.length > 0) for (const status of ['400', '401', '403', '503']) assert.ok(statuses.includes(status), `${where} lacks ${status}`);
      if (path.includes('{')) assert.ok(statuses.includes('404'), `${where} lacks 404`);
      assert.ok(statuses.includes('default'), `${where} lacks a default`);
    }
    const runTurn = document.paths['/v1/sessions/{id}/turns'].post;
    for (const status of ['400', '401', '403', '404', '409', '410', '413', '429', '503']) assert.ok(runTurn.responses[status], `runTurn lacks ${status}`);
    assert.ok(runTurn.responses['429'].headers?.['Retry-After'], 'a 429 says when to retry');
  });

  test('the event streams are described: text/event-stream of typed events, resumable with Last-Event-ID', () => {
    const streams = operations().filter(({ operation }) => Object.values(operation.responses).some((response) => response.content?.['text/event-stream']));
    assert.deepEqual(streams.map(({ operation }) => operation.operationId).sort(), ['listTurnEvents', 'runTurn']);
    for (const { operation } of streams) {
      const ok = operation.responses['200'].content!;
      assert.ok(ok['application/json'].schema?.$ref, `${operation.operationId}: JSON too`);
      assert.equal(ok['text/event-stream'].schema?.$ref, '#/components/schemas/TurnStreamData');
    }
    const resume = document.paths['/v1/sessions/{id}/turns/{turnId}/events'].get;
    const lastEventId = resume.parameters?.find((parameter) => parameter.in === 'header' && parameter.name === 'Last-Event-ID');
    assert.ok(lastEventId, 'the resume route reads Last-Event-ID');
    assert.match('17', new RegExp(lastEventId.schema.pattern ?? 'no pattern'));
    assert.doesNotMatch('evt_1', new RegExp(lastEventId.schema.pattern ?? ''));

    const event = document.components.schemas.Event as { oneOf: Schema[]; discriminator: { propertyName: string; mapping: Record<string, string> } };
    assert.equal(event.discriminator.propertyName, 'type');
    assert.deepEqual(Object.keys(event.discriminator.mapping).sort(), [...eventTypes].sort());
    assert.equal(event.oneOf.length, eventTypes.length);
    const streamed = document.components.schemas.TurnStreamData as { anyOf?: Schema[]; oneOf?: Schema[] };
    assert.deepEqual((streamed.anyOf ?? streamed.oneOf ?? []).map((option) => option.$ref).sort(), ['#/components/schemas/Event', '#/components/schemas/Problem']);
  });

  test('the main routes carry examples', () => {
    for (const [operationId, { path, method, success }] of Object.entries(mainRoutes)) {
      const operation = document.paths[path][method];
      assert.equal(operation.operationId, operationId);
      assert.ok(operation.responses[success].content?.['application/json'].example, `${operationId}: no response example`);
      if (operation.requestBody) assert.ok(operation.requestBody.content['application/json'].example, `${operationId}: no body example`);
    }
  });

  test('openapi-typescript generates a client type that compiles and narrows events by type', async () => {
    const generated = astToString(await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]));
    const directory = await mkdtemp(path.join(tmpdir(), 'switchboard-openapi-'));
    try {
      await writeFile(path.join(directory, 'switchboard.ts'), generated);
      // Uses the generated types the way the console does: a wrong shape (or an untyped `data`) fails to compile.
      await writeFile(
        path.join(directory, 'usage.ts'),
        `import type { components, paths } from './switchboard.js';
type Event = components['schemas']['Event'];
export function textOf(event: Event): string {
  switch (event.type) {
    case 'message.delta': return event.data.text;
    case 'turn.failed': return event.data.error.code;
    case 'turn.completed': return String(event.data.usage.outputTokens);
    default: return '';
  }
}
type Created = paths['/v1/sessions']['post']['responses'][201]['content']['application/json'];
export const status = (session: Created): 'provisioning' | 'idle' | 'active' | 'terminated' => session.status;
type Problem = paths['/v1/sessions/{id}/turns']['post']['responses'][409]['content']['application/problem+json'];
export const code = (problem: Problem): string => problem.code;
type Stream = paths['/v1/sessions/{id}/turns/{turnId}/events']['get']['responses'][200]['content']['text/event-stream'];
export const streamed = (event: Event): Stream => event;
export const streamError = (problem: Problem): Stream => problem;
`,
      );
      const program = ts.createProgram([path.join(directory, 'usage.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        skipLibCheck: true,
        types: [],
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      assert.deepEqual(diagnostics, []);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('the answers match their documented schemas: session, turn (JSON and SSE), every event type, problem, agent, audit, costs', async () => {
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin', 'auditor', 'finance']);
    const agent = await sb.as(keys.admin.key).post('/v1/agents', { name: uniqueName('doc'), defaultProvider: 'foundry', targets: { foundry: sb.broker.runtimes.demoTargets().foundry } });
    assert.equal(agent.status, 201, agent.text);
    assertDocumented(agentView, agent.json, 'the created agent');
    const app = sb.as(keys.app.key, { 'x-end-user': 'u-doc' });
    const session = await app.post('/v1/sessions', { agent: agent.json.id });
    assert.equal(session.status, 201, session.text);
    assertDocumented(sessionView, session.json, 'the created session');
    const turns = `/v1/sessions/${session.json.id}/turns`;

    // A streamed turn that asks for an approval, a JSON turn that allows the call and uses a tool, a streamed one with a longer reply.
    const streamed = await app.post(turns, { input: 'please use a tool, with approval' }, { accept: 'text/event-stream' });
    assert.equal(streamed.status, 200, streamed.text);
    const requested = parseSse(streamed.text).find((message) => message.event === 'approval.requested');
    assert.ok(requested, `no approval was requested: ${streamed.text.slice(0, 500)}`);
    const allowed = await app.post(turns, { approvals: [{ toolCallId: requested.data.data.toolCallId, decision: 'allow' }] });
    assert.equal(allowed.status, 200, allowed.text);
    assertDocumented(turnView, allowed.json, 'the turn');
    // A longer reply comes in deltas.
    const longer = await app.post(turns, { input: `tell me about ${Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ')}` }, { accept: 'text/event-stream' });
    const messages = [...parseSse(streamed.text), ...parseSse(longer.text)];
    for (const message of messages) assertDocumented(turnStreamData, message.data, `the SSE ${message.event}`);

    const transcript = await app.get(`/v1/sessions/${session.json.id}/events`);
    assertDocumented(eventPage, transcript.json, 'the transcript');
    for (const event of transcript.json.data) assertDocumented(sessionEvent, event, `the stored ${event.type}`);
    const seen = new Set([...messages.map((message) => message.event), ...transcript.json.data.map((event: { type: string }) => event.type)]);
    assert.deepEqual(
      eventTypes.filter((type) => !seen.has(type) && type !== 'turn.failed'),
      [],
      'every event type but turn.failed was seen',
    );

    const gone = await app.get('/v1/sessions/ses_00000000000000000000000000');
    assertDocumented(problemSchema, gone.json, `a ${gone.status} problem`);
    const audit = await sb.as(keys.auditor.key).get('/v1/audit/events?limit=5');
    assertDocumented(auditEventPage, audit.json, 'a page of audit events');
    const costs = await sb.as(keys.finance.key).get('/v1/costs/summary');
    assertDocumented(costSummaryView, costs.json, 'the cost summary');
  });

  test('/docs serves the UI and its assets locally', async () => {
    const page = await sb.anonymous.get('/docs');
    assert.equal(page.status, 200);
    assert.match(page.text, /swagger-ui-bundle\.js/);
    const asset = await fetch(`${sb.url}/docs/assets/swagger-ui-bundle.js`);
    assert.equal(asset.status, 200);
    await asset.arrayBuffer();
  });
});
