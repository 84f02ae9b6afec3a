import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import type { ClaudeEmulator } from '#providers/claude';
import type { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/**
 * The tenant admin's live-session view and kill switch (API.md §5), over
 * HTTP: every live session of its own tenant on every runtime, filters and
 * cursor pages; terminate one session (reason `admin`, idempotent, 404 for
 * another tenant's) or every session of one end user; all audited.
 */
describe('admin: live sessions and the kill switch', () => {
  let sb: TestBroker;
  let emulator: ClaudeEmulator;
  let claude: Anthropic;
  let admin: HttpClient;
  let auditor: HttpClient;
  let appKey: string;
  let otherAdmin: HttpClient;
  let otherSession: string;
  const sessions: Record<string, string[]> = { alice: [], bob: [] };
  const providers: Record<string, string> = {};

  before(async () => {
    sb = await startTestBroker();
    emulator = sb.broker.runtimes.emulator<ClaudeEmulator>('claude')!;
    claude = new Anthropic({ apiKey: 'sk-ant-test', baseURL: emulator.url, maxRetries: 0 });
    const targets = sb.broker.runtimes.demoTargets();
    const tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor']);
    admin = sb.as(tenant.keys.admin.key);
    auditor = sb.as(tenant.keys.auditor.key);
    appKey = tenant.keys.app.key;
    const agentName = uniqueName('agent');
    assert.equal((await admin.post('/v1/agents', { name: agentName, defaultProvider: 'claude', targets })).status, 201);
    // alice: two Claude sessions and one on another runtime; bob: one Claude session.
    const other = Object.keys(targets).find((id) => id !== 'claude') ?? 'claude';
    for (const [user, provider] of [['alice', 'claude'], ['alice', other], ['alice', 'claude'], ['bob', 'claude']] as const) {
      const created = await sb.as(appKey, { 'x-end-user': user }).post('/v1/sessions', { agent: agentName, provider });
      assert.equal(created.status, 201, created.text);
      sessions[user].push(created.json.id);
      providers[created.json.id] = provider;
    }
    const stranger = await createTenantWithKeys(sb, ['app', 'admin']);
    otherAdmin = sb.as(stranger.keys.admin.key);
    const strangerAgent = uniqueName('agent');
    assert.equal((await otherAdmin.post('/v1/agents', { name: strangerAgent, defaultProvider: 'claude', targets })).status, 201);
    otherSession = (await sb.as(stranger.keys.app.key, { 'x-end-user': 'alice' }).post('/v1/sessions', { agent: strangerAgent })).json.id;
  });
  after(() => sb.close());

  const ids = (page: { data: Array<{ id: string }> }) => page.data.map((session) => session.id);
  const newestFirst = (list: string[]) => [...list].sort().reverse();

  test('only the admin role; never another tenant', async () => {
    assert.equal((await sb.as(appKey, { 'x-end-user': 'alice' }).get('/v1/admin/sessions')).status, 403);
    assert.equal((await auditor.get('/v1/admin/sessions')).status, 403);
    assert.equal((await sb.operator.get('/v1/admin/sessions')).status, 403);
    assert.equal((await sb.anonymous.get('/v1/admin/sessions')).status, 401);
    assert.deepEqual(ids((await otherAdmin.get('/v1/admin/sessions')).json), [otherSession]);
  });

  test('every live session of the tenant, across users and runtimes, newest first; filters and cursor pages', async () => {
    const all = newestFirst([...sessions.alice, ...sessions.bob]);
    const listed = await admin.get('/v1/admin/sessions');
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(ids(listed.json), all);
    assert.deepEqual(listed.json.data.map((session: { status: string }) => session.status), all.map(() => 'idle'));
    assert.deepEqual(ids((await admin.get('/v1/admin/sessions?user=bob')).json), sessions.bob);
    assert.deepEqual(
      ids((await admin.get('/v1/admin/sessions?user=alice&provider=claude')).json),
      newestFirst(sessions.alice.filter((id) => providers[id] === 'claude')),
    );
    assert.deepEqual(ids((await admin.get('/v1/admin/sessions?status=terminated')).json), []);
    const pages: string[] = [];
    for (let cursor = ''; ; ) {
      const page = await admin.get(`/v1/admin/sessions?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.json.data.length, 1);
      pages.push(...ids(page.json));
      if (!page.json.nextCursor) break;
      cursor = page.json.nextCursor;
    }
    assert.deepEqual(pages, all);
    assert.equal((await admin.get('/v1/admin/sessions?status=gone')).status, 400);
  });

  test("terminate: reason admin, provider session stopped, audited; again is 200 unchanged; another tenant's is 404 (audited)", async () => {
    const id = sessions.bob[0];
    const ended = await admin.post(`/v1/admin/sessions/${id}/terminate`);
    assert.equal(ended.status, 200, ended.text);
    assert.deepEqual([ended.json.id, ended.json.status, ended.json.terminationReason], [id, 'terminated', 'admin']);
    assert.notEqual((await claude.beta.sessions.retrieve(ended.json.providerSession.id)).archived_at ?? null, null, 'archived at Claude');
    const again = await admin.post(`/v1/admin/sessions/${id}/terminate`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, ended.json);
    const seen = await sb.as(appKey, { 'x-end-user': 'bob' }).get(`/v1/sessions/${id}`);
    assert.equal(seen.json.terminationReason, 'admin');

    const events = (await auditor.get(`/v1/audit/events?session=${id}`)).json.data as Array<{ type: string; user: string; actor: { kind: string }; detail: Record<string, unknown> }>;
    const accessed = events.filter((event) => event.type === 'session.accessed' && event.detail.action === 'admin_terminate');
    assert.deepEqual(accessed.map((event) => [event.user, event.actor.kind]), [['bob', 'api_key']], 'one admin_terminate access, once');
    assert.deepEqual(events.filter((event) => event.type === 'session.terminated').map((event) => event.detail.reason), ['admin']);

    const foreign = await admin.post(`/v1/admin/sessions/${otherSession}/terminate`);
    assert.equal(foreign.status, 404);
    assert.equal((await admin.post('/v1/admin/sessions/ses_00000000000000000000000000/terminate')).status, 404);
    const denied = (await auditor.get('/v1/audit/events?type=access.denied')).json.data as Array<{ session: string; detail: { action: string } }>;
    assert.ok(denied.some((event) => event.session === otherSession && event.detail.action === 'admin_terminate'));
    assert.equal((await otherAdmin.get('/v1/admin/sessions')).json.data[0].status, 'idle', "the other tenant's session lives on");
  });

  test("terminate-sessions ends every live session of one user, and only theirs", async () => {
    const ended = await admin.post('/v1/admin/users/alice/terminate-sessions');
    assert.equal(ended.status, 200, ended.text);
    assert.deepEqual(ended.json, { terminated: 3, sessions: newestFirst(sessions.alice) });
    const after = await admin.get('/v1/admin/sessions?status=terminated&user=alice');
    assert.deepEqual(after.json.data.map((session: { terminationReason: string }) => session.terminationReason), ['admin', 'admin', 'admin']);
    assert.deepEqual(await admin.post('/v1/admin/users/alice/terminate-sessions').then((response) => response.json), { terminated: 0, sessions: [] });
    assert.deepEqual(ids((await admin.get('/v1/admin/sessions')).json), [], 'bob was ended before; nothing is live');
    assert.deepEqual(ids((await otherAdmin.get('/v1/admin/sessions')).json), [otherSession], "the other tenant's alice is untouched");
    assert.deepEqual(await admin.post('/v1/admin/users/nobody/terminate-sessions').then((response) => response.json), { terminated: 0, sessions: [] });
  });
});
