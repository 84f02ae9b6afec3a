import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpClient } from '../support/http-client.js';
import { grantTargets } from '../support/target-grants.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';

/**
 * Issue 16 item 7 (API.md §4): every `cursor` the broker did not issue is a
 * 400 `invalid_request`, on every paginated route; the cursors it issues
 * lead to the next page. Each route family gets a garbage cursor, a cursor
 * in the old unsigned form (a forged position), and a valid cursor with one
 * character changed.
 */
describe('pagination cursors: only the broker\'s own', () => {
  let sb: TestBroker;
  let routes: Array<{ name: string; client: HttpClient; path: string }>;

  before(async () => {
    sb = await startTestBroker();
    const { tenantId, keys } = await createTenantWithKeys(sb, ['admin', 'app', 'auditor']);
    // A second tenant, so the operator's tenant list has two pages.
    await createTenantWithKeys(sb, ['admin']);
    const admin = sb.as(keys.admin.key);
    const app = sb.as(keys.app.key, { 'x-end-user': 'cursor-user' });
    const auditor = sb.as(keys.auditor.key);
    // Two of everything: a page of one then has a next cursor.
    await sb.operator.post(`/v1/tenants/${tenantId}/api-keys`, { role: 'app', name: 'second app key' });
    const targets = sb.broker.runtimes.demoTargets();
    // One grant per runtime the broker emulates: more than one page of one.
    await grantTargets({ operator: sb.operator }, tenantId, targets);
    const agentName = uniqueName('agent');
    for (const name of [agentName, uniqueName('agent')]) {
      const agent = await admin.post('/v1/agents', { name, defaultProvider: 'claude', targets });
      assert.equal(agent.status, 201, agent.text);
    }
    for (let index = 0; index < 2; index++) {
      const session = await app.post('/v1/sessions', { agent: agentName });
      assert.equal(session.status, 201, session.text);
    }
    routes = [
      { name: 'sessions', client: app, path: '/v1/sessions' },
      { name: 'admin sessions', client: admin, path: '/v1/admin/sessions' },
      { name: 'agents', client: admin, path: '/v1/agents' },
      { name: 'api keys', client: admin, path: '/v1/api-keys' },
      { name: 'target grants', client: admin, path: '/v1/target-grants' },
      { name: 'a tenant\'s target grants (operator)', client: sb.operator, path: `/v1/tenants/${tenantId}/target-grants` },
      { name: 'tenants (operator)', client: sb.operator, path: '/v1/tenants' },
      { name: 'audit events', client: auditor, path: '/v1/audit/events' },
      { name: 'audit bindings', client: auditor, path: '/v1/audit/bindings' },
      { name: 'audit checkpoints', client: auditor, path: '/v1/audit/checkpoints' },
      { name: 'platform audit events (operator)', client: sb.operator, path: '/v1/platform/audit/events' },
    ];
  });
  after(() => sb.close());

  const refusedAsForeign = async (client: HttpClient, path: string, cursor: string, what: string) => {
    const answer = await client.get(`${path}?limit=1&cursor=${encodeURIComponent(cursor)}`);
    assert.equal(answer.status, 400, `${what} on ${path}: ${answer.text}`);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(answer.json.code, 'invalid_request');
  };

  test('a garbage cursor, an unsigned (forged) position and a tampered valid cursor are 400 on every paginated route; a valid one pages on', async () => {
    let withNextPage = 0;
    for (const { name, client, path } of routes) {
      const first = await client.get(`${path}?limit=1`);
      assert.equal(first.status, 200, `${name}: ${first.text}`);
      await refusedAsForeign(client, path, 'garbage', `${name}: garbage`);
      await refusedAsForeign(client, path, Buffer.from('ses_00000000000000000000000000').toString('base64url'), `${name}: an unsigned position`);
      await refusedAsForeign(client, path, `${Buffer.from('zzzz').toString('base64url')}.${'A'.repeat(43)}`, `${name}: a forged signature`);
      const cursor = first.json.nextCursor as string | null;
      if (cursor === null) continue;
      withNextPage++;
      const next = await client.get(`${path}?limit=1&cursor=${encodeURIComponent(cursor)}`);
      assert.equal(next.status, 200, `${name}: the broker's own cursor: ${next.text}`);
      assert.notDeepEqual(next.json.data, first.json.data, `${name}: the next page`);
      // One character of the position, then one of the signature, changed.
      const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
      await refusedAsForeign(client, path, flip(cursor, 0), `${name}: a tampered position`);
      await refusedAsForeign(client, path, flip(cursor, cursor.length - 2), `${name}: a tampered signature`);
    }
    // Checkpoints (none signed yet) and maybe target grants have a single page; every other route was paged.
    assert.ok(withNextPage >= routes.length - 3, `valid cursors were exercised on ${withNextPage} routes`);
  });
});
