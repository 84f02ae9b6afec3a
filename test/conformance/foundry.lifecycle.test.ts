import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FoundryEmulator } from '#providers/foundry';
import type { HttpClient } from '../support/http-client.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/**
 * The Foundry issue's acceptance scenarios, through the broker over real
 * HTTP to the emulator over TLS: retried session creation leaves one
 * session, a throttled turn runs once, and sessions the service idles out or
 * expires behave as the service says.
 */
describe('foundry: session lifecycle through the broker', () => {
  let sb: TestBroker;
  let emulator: FoundryEmulator;
  let app: HttpClient;
  let admin: HttpClient;
  let agentName: string;

  before(async () => {
    sb = await startTestBroker({ PROVIDER_RETRY_BASE_MS: '10', PROVIDER_MAX_RETRIES: '2' });
    emulator = sb.broker.runtimes.emulator<FoundryEmulator>('foundry')!;
    const tenant = await createTenantWithKeys(sb, ['app', 'admin']);
    agentName = uniqueName('agent');
    const created = await sb.as(tenant.keys.admin.key).post('/v1/agents', { name: agentName, defaultProvider: 'foundry', targets: { foundry: emulator.demoTarget } });
    assert.equal(created.status, 201, created.text);
    app = sb.as(tenant.keys.app.key, { 'x-end-user': 'lifecycle-user' });
    admin = sb.as(tenant.keys.admin.key);
  });
  beforeEach(() => emulator.faults.clear());
  after(() => sb.close());

  const demoAgent = () => emulator.demoTarget.agentName;
  const createSession = async () => {
    const created = await app.post('/v1/sessions', { agent: agentName, provider: 'foundry' });
    assert.equal(created.status, 201, created.text);
    return created.json as { id: string; providerSession: { id: string } };
  };
  const sessionsNamed = (id: string) => emulator.sessions(demoAgent()).filter((session) => session.id === id);

  test('createSession failing with 503 once: Azure core retries it and exactly one session exists', async () => {
    const before = { calls: emulator.stats.get('sessions.create'), sessions: emulator.sessions(demoAgent()).length };
    emulator.faults.add('sessions.create', { kind: 'status', status: 503 });
    const session = await createSession();
    assert.equal(emulator.stats.get('sessions.create') - before.calls, 2, 'refused once, then created');
    assert.equal(session.providerSession.id, session.id, "the broker's session id is the agent_session_id");
    assert.deepEqual(sessionsNamed(session.id).map((found) => found.status), ['active']);
    assert.equal(emulator.sessions(demoAgent()).length, before.sessions + 1, 'exactly one session more');
  });

  test('a 503 after the session was created (a lost answer): the retry finds it, still exactly one session', async () => {
    const count = emulator.sessions(demoAgent()).length;
    emulator.faults.add('sessions.create.reply', { kind: 'status', status: 503 });
    const session = await createSession();
    assert.equal(sessionsNamed(session.id).length, 1);
    assert.equal(emulator.sessions(demoAgent()).length, count + 1, 'no second session');
    const turn = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'still works?' });
    assert.equal(turn.status, 200, turn.text);
  });

  test('responses.create answered 429 then accepted: the emulator ran the turn once', async () => {
    const session = await createSession();
    const statsBefore = { submitted: emulator.stats.get('responses.create'), ran: emulator.stats.get('turns.run') };
    emulator.faults.add('responses.create', { kind: 'status', status: 429 });
    const turn = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'count me once' });
    assert.equal(turn.status, 200, turn.text);
    assert.equal(emulator.stats.get('responses.create') - statsBefore.submitted, 2, 'refused once, accepted once');
    assert.equal(emulator.stats.get('turns.run') - statsBefore.ran, 1);
    const events = (await app.get(`/v1/sessions/${session.id}/events`)).json.data as Array<{ type: string }>;
    assert.deepEqual(events.map((event) => event.type).filter((type) => type.startsWith('turn.')), ['turn.started', 'turn.completed']);
  });

  test('a session the emulator expires (30 days without activity): terminated with reason provider, and a turn is 410', async () => {
    const session = await createSession();
    assert.equal((await app.post(`/v1/sessions/${session.id}/turns`, { input: 'before the long silence' })).status, 200);
    emulator.clock.advance(31 * 24 * 3600 * 1000);
    assert.deepEqual(sessionsNamed(session.id).map((found) => found.status), ['expired']);
    const refused = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'anyone there?' });
    assert.equal(refused.status, 410, refused.text);
    assert.equal(refused.json.code, 'session_terminated');
    assert.equal(refused.json.terminationReason, 'provider');
    const current = await app.get(`/v1/sessions/${session.id}`);
    assert.equal(current.json.status, 'terminated');
    assert.equal(current.json.terminationReason, 'provider');
    assert.equal((await app.post(`/v1/sessions/${session.id}/turns`, { input: 'and now?' })).status, 410);
  });

  test('a session idle past its idle timeout resumes on the next turn, with its history', async () => {
    const session = await createSession();
    assert.equal((await app.post(`/v1/sessions/${session.id}/turns`, { input: 'remember the blue door' })).status, 200);
    emulator.clock.advance(16 * 60 * 1000);
    assert.deepEqual(sessionsNamed(session.id).map((found) => found.status), ['idle']);
    const resumed = await app.post(`/v1/sessions/${session.id}/turns`, { input: 'what did I ask?' });
    assert.equal(resumed.status, 200, resumed.text);
    assert.match(resumed.json.turn.output.map((part: { text: string }) => part.text).join(''), /remember the blue door/);
    assert.deepEqual(sessionsNamed(session.id).map((found) => found.status), ['active']);
  });

  test("the sandbox's idle timeout does not bound the broker's: a tenant may keep sessions for hours, up to the 30-day lifetime", async () => {
    const policy = await admin.put('/v1/limits', { idleTimeoutSeconds: 7200 });
    assert.equal(policy.status, 200, policy.text);
    try {
      const created = await app.post('/v1/sessions', { agent: agentName, provider: 'foundry', idleTimeoutSeconds: 7200 });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.idleTimeoutSeconds, 7200, 'a hosted session suspends at its sandbox idle timeout and resumes: not an end');
    } finally {
      await admin.put('/v1/limits', { idleTimeoutSeconds: null });
    }
  });

  test('terminate stops the session at the service (files kept), and again is a no-op', async () => {
    const session = await createSession();
    assert.equal((await app.delete(`/v1/sessions/${session.id}`)).status, 200);
    assert.deepEqual(sessionsNamed(session.id).map((found) => found.status), ['idle']);
    assert.equal((await app.delete(`/v1/sessions/${session.id}`)).status, 200);
  });
});
