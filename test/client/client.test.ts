import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetworkError, ProblemError, SwitchboardClient, type TurnEvent } from '@switchboard/client';
import { startClientFixture, type ClientFixture } from '../support/client-fixture.js';
import { startCuttingProxy, type CuttingProxy } from '../support/cutting-proxy.js';
import { uniqueName } from '../support/test-broker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const longInput = `use the tools for ${Array.from({ length: 20 }, (_, index) => `word${index}`).join(' ')}`;

async function collect(events: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const all: TurnEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function assertOneTurn(events: TurnEvent[]): void {
  assert.equal(events[0].type, 'turn.started');
  assert.equal(events.at(-1)!.type, 'turn.completed');
  const seqs = events.map((event) => event.seq);
  for (let index = 1; index < seqs.length; index++) assert.ok(seqs[index] > seqs[index - 1], `each event once, in seq order: ${seqs.join(',')}`);
  assert.equal(new Set(events.map((event) => event.turnId)).size, 1);
}

describe('@switchboard/client against a real broker', { skip: process.env.DATABASE_URL ? 'the embedded run covers it (no database-specific behaviour)' : false }, () => {
  let fx: ClientFixture;
  let proxy: CuttingProxy;
  const as = (role: keyof ClientFixture['keys'], options: { endUser?: string; baseUrl?: string; maxRetryDelayMs?: number } = {}) =>
    new SwitchboardClient({ baseUrl: options.baseUrl ?? fx.sb.url, apiKey: fx.keys[role].key, endUser: options.endUser, maxRetryDelayMs: options.maxRetryDelayMs });

  before(async () => {
    fx = await startClientFixture();
    proxy = await startCuttingProxy(fx.sb.url);
  });
  after(async () => {
    await proxy?.close();
    await fx?.close();
  });

  test('sessions: create (idempotent), get, list, a JSON turn, a streamed turn with typed events, the transcript, end', async () => {
    const app = as('app', { endUser: 'u-client' });
    const session = await app.sessions.create({ agent: fx.agent, metadata: { ticket: 'T-1' } }, { idempotencyKey: 'create-once' });
    assert.match(session.id, /^ses_/);
    assert.equal(session.user, 'u-client');
    const again = await app.sessions.create({ agent: fx.agent, metadata: { ticket: 'T-1' } }, { idempotencyKey: 'create-once' });
    assert.equal(again.id, session.id, 'the same Idempotency-Key answers the same session');
    assert.equal((await app.sessions.get(session.id)).id, session.id);
    assert.ok((await app.sessions.list().all()).some((listed) => listed.id === session.id));

    const turn = await app.sessions.turns.send(session.id, 'Where is my refund?');
    assert.equal(turn.status, 'completed');
    assert.ok(turn.output[0].text.length > 0);

    const events = await collect(app.sessions.turns.stream(session.id, 'and now?'));
    assertOneTurn(events);
    const deltas = events.filter((event) => event.type === 'message.delta').map((event) => (event.type === 'message.delta' ? event.data.text : ''));
    const completed = events.find((event) => event.type === 'message.completed');
    assert.ok(completed?.type === 'message.completed');
    assert.ok(deltas.length > 1, 'the reply came in deltas');
    assert.equal(deltas.join(''), completed.data.content[0].text);

    const transcript = await app.sessions.events(session.id);
    assert.ok(transcript.some((event) => event.turnId === events[0].turnId && event.type === 'turn.completed'));
    const ended = await app.sessions.end(session.id);
    assert.equal(ended.status, 'terminated');
    assert.equal(ended.terminationReason, 'client');
  });

  test('a problem is a typed ProblemError: code, status, requestId, title, detail, errors', async () => {
    const app = as('app', { endUser: 'u-client' });
    // A malformed id: 400 with the field named.
    await assert.rejects(app.sessions.get('ses_doesnotexist'), (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'invalid_request');
      assert.ok(error.errors.some((field) => field.path.includes('id')));
      return true;
    });
    await assert.rejects(as('admin').agents.create({ name: '', defaultProvider: 'claude', targets: {} } as never), (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.code, 'invalid_request');
      assert.ok(error.errors.length > 0 && error.errors.every((field) => typeof field.path === 'string' && field.message.length > 0));
      return true;
    });
    // Another user's session does not exist for this one (API.md §1).
    const session = await app.sessions.create({ agent: fx.agent });
    await assert.rejects(as('app', { endUser: 'u-other' }).sessions.get(session.id), (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'not_found');
      assert.match(error.requestId ?? '', /.+/);
      assert.ok(error.title.length > 0 && (error.detail ?? '').length > 0);
      assert.equal(error.problem.status, 404);
      return true;
    });
    await assert.rejects(new SwitchboardClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'x', maxRetries: 0 }).sessions.list().first(), NetworkError);
  });

  test('a 429 with Retry-After beyond what the client waits is thrown with retryAfterSeconds', async () => {
    const user = uniqueName('limited');
    await as('admin').limits.updateForUser(user, { sessionCreatesPerMinutePerUser: 1 });
    const app = as('app', { endUser: user, maxRetryDelayMs: 0 });
    await app.sessions.create({ agent: fx.agent });
    await assert.rejects(app.sessions.create({ agent: fx.agent }), (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'rate_limited');
      assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0);
      return true;
    });
  });

  test('a stream whose connection drops resumes by itself (Last-Event-ID): every event once, in order, to turn.completed', async () => {
    const app = as('app', { endUser: 'u-resume', baseUrl: proxy.url });
    const session = await app.sessions.create({ agent: fx.agent });
    const cutsBefore = proxy.cuts;
    proxy.cutAfter('event: message.delta');
    const events = await collect(app.sessions.turns.stream(session.id, longInput));
    assert.equal(proxy.cuts, cutsBefore + 1, 'the connection was cut mid-stream');
    assertOneTurn(events);
    // Deltas sent while the client was away are not replayed (the transcript does not keep them); message.completed carries the whole reply.
    assert.ok(events.some((event) => event.type === 'message.completed'));
    const turnId = events[0].turnId!;
    // The transcript is the reference: every stored event of the turn was yielded.
    const stored = (await app.sessions.events(session.id)).filter((event) => event.turnId === turnId).map((event) => `${event.seq}:${event.type}`);
    assert.deepEqual(events.filter((event) => event.type !== 'message.delta').map((event) => `${event.seq}:${event.type}`), stored);

    // turns.get / resume / cancel on the ended turn.
    const view = await app.turns.get(session.id, turnId);
    assert.equal(view.status, 'completed');
    const replayed = await collect(app.turns.resume(session.id, turnId, { after: events[2].seq }));
    assert.equal(replayed[0].seq > events[2].seq, true);
    assert.equal(replayed.at(-1)!.type, 'turn.completed');
    assert.equal((await app.turns.cancel(session.id, turnId)).status, 'completed');
  });

  test('cancel a running turn, then follow it through a cut connection: turn.failed cancelled, each event once', async () => {
    const app = as('app', { endUser: 'u-cancel', baseUrl: proxy.url });
    const session = await app.sessions.create({ agent: fx.agent });
    const stream = app.sessions.turns.stream(session.id, longInput);
    const first = (await stream.next()).value as TurnEvent;
    await stream.return(undefined);
    // Cancelled while it runs (202), then followed through a connection that breaks at its first event.
    assert.equal((await app.turns.cancel(session.id, first.turnId!)).id, first.turnId);
    const cutsBefore = proxy.cuts;
    proxy.cutAfter('event: ');
    const followed = await collect(app.turns.resume(session.id, first.turnId!, { after: first.seq }));
    assert.equal(proxy.cuts, cutsBefore + 1, 'the follow was cut and resumed');
    const last = followed.at(-1)!;
    assert.equal(last.type, 'turn.failed');
    assert.equal(last.type === 'turn.failed' && last.data.error.code, 'cancelled');
    assert.equal(new Set(followed.map((event) => event.seq)).size, followed.length, 'no event twice across the reconnection');
  });

  test('agents, keys, limits, tenants, admin: each resource object', async () => {
    const admin = as('admin');
    const name = uniqueName('agent');
    const target = fx.emulator.demoTarget;
    const agent = await admin.agents.create({ name, defaultProvider: 'claude', targets: { claude: target } });
    assert.equal((await admin.agents.get(agent.id)).name, name);
    assert.ok((await admin.agents.list().all()).some((listed) => listed.id === agent.id));
    assert.equal((await admin.agents.update(agent.id, { description: 'updated' })).description, 'updated');
    assert.equal((await admin.agents.check(agent.id)).targets.claude?.ok, true);
    await admin.agents.delete(agent.id);
    await assert.rejects(admin.agents.get(agent.id), { code: 'not_found' });

    const key = await admin.keys.create({ role: 'auditor', name: 'client test' });
    assert.match(key.key, /^sbk_/);
    assert.ok((await admin.keys.list().all()).some((listed) => listed.id === key.id));
    const rotated = await admin.keys.rotate(key.id, { graceSeconds: 60 });
    assert.notEqual(rotated.id, key.id);
    await admin.keys.revoke(rotated.id);
    await assert.rejects(new SwitchboardClient({ baseUrl: fx.sb.url, apiKey: rotated.key }).audit.verify(), { code: 'unauthenticated', status: 401 });

    assert.equal((await admin.limits.update({ maxActiveSessionsPerUser: 7 })).maxActiveSessionsPerUser, 7);
    assert.equal((await admin.limits.get()).maxActiveSessionsPerUser, 7);
    await admin.limits.updateForUser('u-vip', { maxActiveSessionsPerUser: 9 });
    assert.equal((await admin.limits.getForUser('u-vip')).policy.maxActiveSessionsPerUser, 9);

    const operator = new SwitchboardClient({ baseUrl: fx.sb.url, apiKey: fx.sb.operatorKey });
    const tenant = await operator.tenants.create({ name: uniqueName('client-tenant') });
    assert.ok((await operator.tenants.list().all()).some((listed) => listed.id === tenant.id));
    const tenantKey = await operator.keys.create({ role: 'admin', name: 'boot' }, { tenant: tenant.id });
    assert.ok((await operator.keys.list({ tenant: tenant.id }).all()).some((listed) => listed.id === tenantKey.id));

    const app = as('app', { endUser: 'u-admin-target' });
    const one = await app.sessions.create({ agent: fx.agent });
    const two = await app.sessions.create({ agent: fx.agent });
    assert.ok((await admin.admin.sessions.list({ user: 'u-admin-target' }).all()).some((listed) => listed.id === one.id));
    assert.equal((await admin.admin.sessions.terminate(one.id)).terminationReason, 'admin');
    assert.deepEqual((await admin.admin.users.terminateSessions('u-admin-target')).sessions, [two.id]);
  });

  test('audit: events as an async iterator over pages, verify, export as a stream; costs: summary and export', async () => {
    const auditor = as('auditor');
    const pages = [];
    for await (const page of auditor.audit.events.list({ limit: 3 }).pages()) pages.push(page);
    assert.ok(pages.length > 2, `several pages (${pages.length})`);
    const events = await auditor.audit.events.list({ limit: 3 }).all();
    assert.equal(events.length, pages.flatMap((page) => page.data).length);
    assert.deepEqual(events.map((event) => event.seq), [...new Set(events.map((event) => event.seq))]);
    const verified = await auditor.audit.verify();
    assert.equal(verified.ok, true);
    assert.equal(verified.firstBadSeq, null);
    assert.ok(verified.checked >= events.length);
    const exported = await auditor.audit.export({ format: 'jsonl' });
    const lines = (await new Response(exported.body).text()).trim().split('\n');
    assert.ok(lines.length >= events.length);
    assert.equal(JSON.parse(lines[0]).type !== undefined, true);

    const finance = as('finance');
    const summary = await finance.costs.summary({ groupBy: 'user' });
    assert.equal(summary.currency, 'USD');
    assert.match(summary.total, /^\d+(\.\d+)?$/);
    const costs = await finance.costs.export({ format: 'focus-csv' });
    assert.match(costs.contentType, /text\/csv/);
    assert.match((await new Response(costs.body).text()).split('\n')[0], /BilledCost/);
  });

  test('the generated types compile and the public surface has no `any`', () => {
    const dist = path.join(root, 'packages/client/dist');
    const declarations = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.d.ts'));
    assert.ok(declarations.includes('index.d.ts') && declarations.includes(path.join('generated', 'openapi.d.ts')));
    for (const file of declarations) {
      // Comments and string literal types may say "any" ("requiredIsolation": "any"); code may not.
      const code = readFileSync(path.join(dist, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
      assert.doesNotMatch(code, /\bany\b/, `${file} exposes any`);
    }
  });
});
