import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

/**
 * Text the database cannot store (NUL, lone UTF-16 surrogates), sent in every
 * part of a request to every route family, is a 400 naming where it was,
 * never a 500 (these reached PostgreSQL and answered 500 `internal`).
 * Bodies are sent as raw JSON so that the escapes arrive as an attacker would
 * write them (a JS string with a lone surrogate would go out as U+FFFD).
 */
const hostile = { nul: '\\u0000', 'high surrogate': '\\ud800', 'low surrogate': '\\udc00' };

type Caller = 'app' | 'admin' | 'auditor' | 'finance' | 'operator';
interface Case {
  name: string;
  caller: Caller;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: string;
  /** The problem path the answer must name. */
  problemAt: string;
}

describe('text the database cannot store is refused at the edge', () => {
  let sb: TestBroker;
  let callers: Record<Caller, HttpClient>;
  let cases: Case[];

  before(async () => {
    sb = await startTestBroker();
    const { keys } = await createTenantWithKeys(sb, ['app', 'admin', 'auditor', 'finance']);
    callers = {
      app: sb.as(keys.app.key, { 'x-end-user': 'u-1' }),
      admin: sb.as(keys.admin.key),
      auditor: sb.as(keys.auditor.key),
      finance: sb.as(keys.finance.key),
      operator: sb.operator,
    };
    const targets = JSON.stringify(sb.broker.runtimes.demoTargets());
    const agent = await callers.admin.post('/v1/agents', `{"name":"edge","defaultProvider":"claude","targets":${targets}}`);
    assert.equal(agent.status, 201, agent.text);
    const session = await callers.app.post('/v1/sessions', { agent: 'edge' });
    assert.equal(session.status, 201, session.text);

    const bodyCases = Object.entries(hostile).flatMap(([form, bad]): Case[] => [
      { name: `session metadata value (${form})`, caller: 'app', method: 'POST', path: '/v1/sessions', body: `{"agent":"edge","metadata":{"note":"x${bad}"}}`, problemAt: 'body.metadata.note' },
      { name: `session metadata key (${form})`, caller: 'app', method: 'POST', path: '/v1/sessions', body: `{"agent":"edge","metadata":{"k${bad}":"v"}}`, problemAt: `body.metadata.k${bad}` },
      { name: `session agent (${form})`, caller: 'app', method: 'POST', path: '/v1/sessions', body: `{"agent":"a${bad}"}`, problemAt: 'body.agent' },
      { name: `turn input text (${form})`, caller: 'app', method: 'POST', path: `/v1/sessions/${session.json.id}/turns`, body: `{"input":"hi${bad}"}`, problemAt: 'body.input' },
      { name: `turn input part (${form})`, caller: 'app', method: 'POST', path: `/v1/sessions/${session.json.id}/turns`, body: `{"input":[{"type":"text","text":"hi${bad}"}]}`, problemAt: 'body.input.0.text' },
      { name: `agent description (${form})`, caller: 'admin', method: 'POST', path: '/v1/agents', body: `{"name":"edge-2","description":"d${bad}","defaultProvider":"claude","targets":${targets}}`, problemAt: 'body.description' },
      { name: `agent instructions update (${form})`, caller: 'admin', method: 'PATCH', path: `/v1/agents/${agent.json.id}`, body: `{"instructions":"i${bad}"}`, problemAt: 'body.instructions' },
      { name: `api key name (${form})`, caller: 'admin', method: 'POST', path: '/v1/api-keys', body: `{"role":"app","name":"k${bad}"}`, problemAt: 'body.name' },
      { name: `tenant name (${form})`, caller: 'operator', method: 'POST', path: '/v1/tenants', body: `{"name":"t${bad}"}`, problemAt: 'body.name' },
      { name: `tenant limits (${form})`, caller: 'admin', method: 'PUT', path: '/v1/limits', body: `{"monthlyBudgetUsdPerUser":"5${bad}"}`, problemAt: 'body.monthlyBudgetUsdPerUser' },
      { name: `user limits (${form})`, caller: 'admin', method: 'PUT', path: '/v1/limits/users/u-1', body: `{"monthlyBudgetUsdPerUser":"5${bad}"}`, problemAt: 'body.monthlyBudgetUsdPerUser' },
    ]);
    // A URL cannot carry a lone surrogate (invalid UTF-8 percent-escapes decode to U+FFFD), but it can carry NUL.
    const queryCases: Case[] = [
      { name: 'sessions ?agent', caller: 'app', method: 'GET', path: '/v1/sessions?agent=a%00', problemAt: 'query.agent' },
      { name: 'audit ?user', caller: 'auditor', method: 'GET', path: '/v1/audit/events?user=a%00', problemAt: 'query.user' },
      { name: 'audit ?session', caller: 'auditor', method: 'GET', path: '/v1/audit/events?session=ses_%00', problemAt: 'query.session' },
      { name: 'audit ?cursor', caller: 'auditor', method: 'GET', path: '/v1/audit/events?cursor=%00', problemAt: 'query.cursor' },
      { name: 'audit query key', caller: 'auditor', method: 'GET', path: '/v1/audit/events?us%00er=x', problemAt: 'query.us\\u0000er' },
      { name: 'bindings ?user', caller: 'auditor', method: 'GET', path: '/v1/audit/bindings?user=a%00', problemAt: 'query.user' },
      { name: 'bindings ?provider', caller: 'auditor', method: 'GET', path: '/v1/audit/bindings?provider=a%00', problemAt: 'query.provider' },
      { name: 'audit export ?from', caller: 'auditor', method: 'GET', path: '/v1/audit/export?from=%00', problemAt: 'query.from' },
      { name: 'cost summary ?from', caller: 'finance', method: 'GET', path: '/v1/costs/summary?from=2026-01-01T00:00:00Z%00', problemAt: 'query.from' },
      { name: 'cost export ?format', caller: 'finance', method: 'GET', path: '/v1/costs/export?format=csv%00', problemAt: 'query.format' },
      { name: 'admin sessions ?user', caller: 'admin', method: 'GET', path: '/v1/admin/sessions?user=a%00', problemAt: 'query.user' },
    ];
    const pathCases: Case[] = [
      { name: 'session id', caller: 'app', method: 'GET', path: '/v1/sessions/ses_%00', problemAt: 'params.id' },
      { name: 'agent id', caller: 'admin', method: 'GET', path: '/v1/agents/agt_%00', problemAt: 'params.id' },
      { name: 'api key id', caller: 'admin', method: 'DELETE', path: '/v1/api-keys/key_%00', problemAt: 'params.keyId' },
      { name: 'limits user id', caller: 'admin', method: 'GET', path: '/v1/limits/users/u%00', problemAt: 'params.userId' },
      { name: 'limits user id (PUT)', caller: 'admin', method: 'PUT', path: '/v1/limits/users/u%00', body: '{"maxActiveSessionsPerUser":1}', problemAt: 'params.userId' },
      { name: 'kill switch user id', caller: 'admin', method: 'POST', path: '/v1/admin/users/u%00/terminate-sessions', problemAt: 'params.userId' },
    ];
    cases = [...bodyCases, ...queryCases, ...pathCases];
  });
  after(() => sb.close());

  test('each hostile form in each route family is 400 problem+json naming the field', async () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    const failures: string[] = [];
    for (const { name, caller, method, path, body, problemAt } of cases) {
      const response = await callers[caller].request(method, path, body);
      const paths = (response.json?.errors ?? []).map((error: { path: string }) => error.path);
      const ok =
        response.status === 400 &&
        /^application\/problem\+json/.test(response.headers.get('content-type') ?? '') &&
        response.json.code === 'invalid_request' &&
        paths.includes(problemAt);
      if (!ok) failures.push(`${name}: ${method} ${path} → ${response.status} ${response.text.slice(0, 200)}`);
    }
    assert.deepEqual(failures, []);
  });

  test('nothing was stored by any of them', async () => {
    const sessions = await callers.app.get('/v1/sessions');
    assert.equal(sessions.json.data.length, 1);
    const keys = await callers.admin.get('/v1/api-keys');
    assert.equal(keys.json.data.length, 4, 'the four keys the tenant was made with');
    const agents = await callers.admin.get('/v1/agents');
    assert.deepEqual(agents.json.data.map((agent: { name: string; instructions: string | null }) => [agent.name, agent.instructions]), [['edge', null]]);
  });

  test('metadata nested deeper than the limit is a 400, not a stack overflow', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const response = await callers.app.post('/v1/sessions', `{"agent":"edge","metadata":{"note":${deep}}}`);
    assert.equal(response.status, 400, response.text.slice(0, 300));
    assert.match(response.json.errors[0].message, /deeper than 64 levels/);
  });

  test('authentication still answers first: 401 without a credential, 403 for the wrong role', async () => {
    const body = `{"agent":"edge","metadata":{"note":"x${hostile.nul}"}}`;
    assert.equal((await sb.anonymous.post('/v1/sessions', body)).status, 401);
    assert.equal((await callers.auditor.post('/v1/sessions', body)).status, 403);
  });
});
