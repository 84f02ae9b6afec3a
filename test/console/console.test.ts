import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { brokerClaims, describeFocusReport, parseFocusCsv, validateFocus } from '../data/focus-validator.js';
import { browserMissing, launchBrowser, waitForCount, type TestBrowser } from '../support/browser.js';
import { createTenantWithKeys, startTestBroker, uniqueName, type TestBroker } from '../support/test-broker.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The web console (issue 18) in a real chromium against a real broker with
 * emulated runtimes: each role's journey through its pages, checked against
 * what the API itself then says. Each page is photographed: into a temporary
 * folder on a test run, into docs/screenshots with `npm run screenshots`.
 */
// The console calls the same API on either database; the browser runs once, on the embedded one (as the issue asks).
const skip = process.env.DATABASE_URL ? 'the embedded run covers the browser journeys' : browserMissing();

describe('console: journeys in a real browser', { skip }, () => {
  let sb: TestBroker;
  let browser: TestBrowser;
  let receiver: WebhookReceiver;
  let tenant: Awaited<ReturnType<typeof createTenantWithKeys<'app' | 'admin' | 'auditor' | 'finance'>>>;
  const sessions: { alice: string; bob: string } = { alice: '', bob: '' };
  const cspErrors: string[] = [];

  before(async () => {
    receiver = await new WebhookReceiver().start();
    // The webhooks journey posts to a receiver on loopback, which the broker refuses unless told otherwise.
    sb = await startTestBroker({ SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', SWITCHBOARD_WEBHOOKS_POLL_MS: '50' });
    browser = await launchBrowser();
    tenant = await createTenantWithKeys(sb, ['app', 'admin', 'auditor', 'finance']);
    const targets = sb.broker.runtimes.demoTargets();
    const agent = uniqueName('agent');
    const admin = sb.as(tenant.keys.admin.key);
    assert.equal((await admin.post('/v1/agents', { name: agent, defaultProvider: 'claude', targets })).status, 201);
    const other = Object.keys(targets).find((id) => id !== 'claude') ?? 'claude';
    for (const [user, provider] of [['alice', 'claude'], ['bob', other]] as const) {
      const app = sb.as(tenant.keys.app.key, { 'x-end-user': user });
      const created = await app.post('/v1/sessions', { agent, provider });
      assert.equal(created.status, 201, created.text);
      sessions[user] = created.json.id;
      // One turn each, so the day has spend on two runtimes.
      assert.equal((await app.post(`/v1/sessions/${created.json.id}/turns`, { input: 'hello' })).status, 200);
    }
  });
  after(async () => {
    await browser?.close();
    await sb?.close();
    await receiver?.stop();
  });

  /** A fresh tab (its own sessionStorage) signed in with `key` at `path`. */
  async function signedIn(key: string, path = '/console'): Promise<Page> {
    const { page, errors } = await browser.newPage();
    errors.forEach((error) => cspErrors.push(error));
    page.on('close', () => cspErrors.push(...errors));
    await page.goto(`${sb.url}${path}`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('role').waitFor();
    return page;
  }

  test('admin kills a live session: it leaves the live list and the API answers 410 on its next turn', async (t) => {
    const page = await signedIn(tenant.keys.admin.key, '/console/sessions');
    await page.getByTestId('live-sessions').waitFor();
    assert.equal(await page.getByTestId('role').textContent(), 'admin');

    // Navigation to the live-sessions table rendered, signed in (the figure the brief asks for).
    const timings: number[] = [];
    for (let round = 0; round < 5; round++) {
      await page.goto(`${sb.url}/console/sessions`);
      await page.getByTestId('live-sessions').waitFor();
      timings.push(await page.evaluate(() => performance.now()));
    }
    timings.sort((a, b) => a - b);
    t.diagnostic(`navigation → live-sessions table: median ${timings[2].toFixed(0)} ms, max ${timings[4].toFixed(0)} ms (${timings.map((ms) => ms.toFixed(0)).join(', ')})`);

    const row = (id: string) => page.locator(`[data-testid="live-sessions"] tr[data-key="${id}"]`);
    await row(sessions.alice).waitFor();
    await row(sessions.bob).waitFor();
    await browser.screenshot(page, 'admin-sessions');

    await page.getByRole('button', { name: `Details of ${sessions.bob}` }).click();
    await page.getByTestId('session-detail').waitFor();
    await browser.screenshot(page, 'admin-session-detail');
    await page.getByTestId('session-detail').getByRole('button', { name: 'Close' }).click();

    await page.getByLabel('User').fill('alice');
    await page.getByLabel('User').press('Tab');
    await row(sessions.bob).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: `Terminate ${sessions.alice}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Terminate?' });
    await dialog.waitFor();
    await browser.screenshot(page, 'admin-terminate-dialog');
    await dialog.getByRole('button', { name: 'Terminate' }).click();
    const outcome = page.getByTestId('kill-outcome');
    await outcome.waitFor();
    assert.match((await outcome.textContent()) ?? '', new RegExp(`${sessions.alice} of alice is terminated \\(reason: admin\\)`));
    await row(sessions.alice).waitFor({ state: 'detached' });
    await page.getByText('No sessions match.').waitFor();

    const turn = await sb.as(tenant.keys.app.key, { 'x-end-user': 'alice' }).post(`/v1/sessions/${sessions.alice}/turns`, { input: 'still there?' });
    assert.equal(turn.status, 410, turn.text);
    assert.equal(turn.json.code, 'session_terminated');
    await page.close();
  });

  test('admin pages: limits with usage, agents with the target check, keys (secret once, revoke)', async () => {
    const page = await signedIn(tenant.keys.admin.key, '/console/limits');
    await page.getByRole('heading', { name: 'Tenant policy' }).waitFor();
    await page.getByLabel('User id').fill('bob');
    await page.getByRole('button', { name: 'Show' }).click();
    const limits = page.getByTestId('user-limits');
    await limits.waitFor();
    // bob's one live session counts against his active-session limit.
    const activeSessions = limits.locator('tr', { hasText: 'Active sessions per user' });
    assert.match((await activeSessions.textContent()) ?? '', /no limit.*1$/);
    // An override set in the console is the API's effective policy for bob.
    const override = page.locator('details', { hasText: "Override bob's limits" });
    await override.locator('summary').click();
    await override.getByLabel('Active sessions per user').fill('3');
    await override.getByRole('button', { name: 'Save override' }).click();
    await activeSessions.getByText('user override').waitFor();
    assert.equal((await sb.as(tenant.keys.admin.key).get('/v1/limits/users/bob')).json.policy.maxActiveSessionsPerUser, 3);
    await override.locator('summary').click();
    await browser.screenshot(page, 'admin-limits');

    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: /Check the targets of/ }).click();
    await page.locator('.ok', { hasText: 'ok' }).first().waitFor();
    await browser.screenshot(page, 'admin-agents');

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByTestId('api-keys').waitFor();
    await page.getByLabel('Role').selectOption('auditor');
    await page.getByLabel('Name', { exact: true }).fill('made-in-console');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret').textContent())!.trim();
    const me = await sb.as(secret).get('/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.role, 'auditor');
    await browser.screenshot(page, 'admin-keys');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByTestId('new-secret').count(), 0, 'the secret is gone once dismissed');
    await page.getByRole('button', { name: 'Revoke made-in-console' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('api-keys').locator('tr', { hasText: 'made-in-console' }).getByText(/revoked/).waitFor();
    assert.equal((await sb.as(secret).get('/v1/me')).status, 401);
    await page.close();
  });

  test('admin webhooks: create (secret once), send a test event, see its delivery with the answer, pause, delete', async () => {
    const page = await signedIn(tenant.keys.admin.key, '/console/webhooks');
    await page.getByText('No webhooks yet.').waitFor();
    const url = receiver.hookUrl(uniqueName('console'));
    await page.getByLabel('URL').fill(url);
    await page.getByLabel(/^Events/).fill('audit.limits.changed, session.terminated');
    await page.getByLabel('Format').selectOption('json');
    await page.getByLabel('Description (optional)').fill('made in the console');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await page.getByTestId('new-secret').textContent())!.trim();
    assert.match(secret, /^whsec_/);
    receiver.setSecret(url.split('/hook/')[1], secret);
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.getByTestId('webhooks').locator('tr', { hasText: url });
    await row.getByText('active', { exact: true }).waitFor();

    await page.getByRole('button', { name: `Send a test event to ${url}` }).click();
    await page.getByTestId('webhook-outcome').getByText(/Test event queued/).waitFor();
    const deliveries = page.getByTestId('deliveries');
    // Pending at first; the panel fetches again until the dispatcher has the receiver's answer.
    await deliveries.locator('tr', { hasText: 'webhook.test' }).getByText('delivered').waitFor({ timeout: 20_000 });
    const answer = deliveries.locator('tr', { hasText: 'webhook.test' }).getByTestId('last-answer');
    assert.match((await answer.textContent()) ?? '', /^200 ok$/);
    const [arrived] = receiver.at(url.split('/hook/')[1]);
    assert.equal(arrived.body.type, 'webhook.test');
    assert.ok(arrived.signatureValid, 'the receiver verified the signature with the secret the console showed');
    await deliveries.locator('tr', { hasText: 'webhook.test' }).locator('summary').click();
    await deliveries.getByText(/: 200 \(\d+ ms\)/).waitFor();
    await browser.screenshot(page, 'admin-webhooks');

    await page.getByRole('button', { name: `Pause ${url}` }).click();
    await row.getByText('paused', { exact: true }).waitFor();
    const admin = sb.as(tenant.keys.admin.key);
    const listed = (await admin.get('/v1/webhooks')).json.data.find((webhook: { url: string }) => webhook.url === url);
    assert.equal(listed.status, 'paused');
    assert.deepEqual(listed.events, ['audit.limits.changed', 'session.terminated']);
    assert.equal(listed.description, 'made in the console');
    const [delivery] = (await admin.get(`/v1/webhooks/${listed.id}/deliveries`)).json.data;
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.id, arrived.id, 'the delivery listed is the one the receiver took');

    await page.getByRole('button', { name: `Resume ${url}` }).click();
    await row.getByText('active', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Delete ${url}` }).click();
    await page.getByRole('dialog', { name: 'Delete this webhook?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No webhooks yet.').waitFor();
    assert.equal((await admin.get(`/v1/webhooks/${listed.id}`)).status, 404);
    await page.close();
  });

  test('auditor finds the kill in audit search, opens its chain fields and verifies the chain', async () => {
    const page = await signedIn(tenant.keys.auditor.key, '/console/audit');
    await page.getByLabel('Type').fill('session.terminated');
    await page.getByLabel('Session').fill(sessions.alice);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    // The page opened on the latest events of every type: wait for the search's single row.
    // Polled from here, not with page.waitForFunction: that evaluates a string in the page, which the
    // console's CSP (no 'unsafe-eval') rightly refuses on current chromium.
    await waitForCount(page.getByTestId('audit-events').locator('tbody tr'), 1);
    assert.match((await page.getByTestId('audit-events').locator('tbody tr').textContent()) ?? '', /session\.terminated/);
    const [event] = (await sb.as(tenant.keys.auditor.key).get(`/v1/audit/events?type=session.terminated&session=${sessions.alice}`)).json.data;
    assert.equal(event.detail.reason, 'admin');
    await page.getByRole('button', { name: `Event ${event.seq} in detail` }).click();
    const detail = page.getByTestId('audit-detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    assert.ok(text.includes(event.hash) && text.includes(event.prevHash), 'hash and prevHash shown');
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    const verdict = page.getByTestId('verify-result');
    await verdict.waitFor();
    assert.match((await verdict.textContent()) ?? '', /Chain intact: \d+ events checked/);
    await browser.screenshot(page, 'auditor-audit');

    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: /^Download/ }).click();
    const lines = readFileSync(await (await downloading).path(), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(lines.some((line) => line.type === 'session.terminated' && line.session === sessions.alice));

    await page.getByRole('link', { name: 'Bindings' }).click();
    await page.getByRole('cell', { name: sessions.bob, exact: true }).waitFor();
    await browser.screenshot(page, 'auditor-bindings');
    await page.close();
  });

  test("finance sees the day's spend by runtime and downloads a FOCUS file that parses", async () => {
    const page = await signedIn(tenant.keys.finance.key, '/console/costs');
    const chart = page.getByRole('img', { name: /Spend per day by runtime/ });
    await chart.waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const label = (await chart.getAttribute('aria-label')) ?? '';
    const todaysSpend = Number(new RegExp(`${today} ([0-9.]+) USD`).exec(label)?.[1]);
    const total = (await sb.as(tenant.keys.finance.key).get(`/v1/costs/summary?from=${today}T00:00:00Z&groupBy=provider`)).json;
    assert.ok(todaysSpend > 0, label);
    assert.equal(todaysSpend.toFixed(4), Number(total.total).toFixed(4));
    const legend = (await page.locator('.legend').textContent()) ?? '';
    for (const group of total.groups) assert.ok(legend.includes(group.key), `${group.key} in the legend`);
    assert.equal(total.groups.length, 2, 'two runtimes stacked');
    await page.getByTestId('top-user').getByRole('cell', { name: 'alice', exact: true }).waitFor();
    await page.getByTestId('top-agent').waitFor();
    await browser.screenshot(page, 'finance-costs');

    await page.getByLabel('FOCUS version').selectOption('1.3');
    await page.getByLabel('Format').selectOption('focus-csv');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    const dataset = parseFocusCsv(readFileSync(await download.path(), 'utf8'));
    assert.ok(dataset.rows.length > 0, 'the FOCUS file has charge rows');
    const report = validateFocus(dataset, { version: '1.3', format: 'csv', claims: brokerClaims, providerTagPrefixes: ['switchboard/'] });
    assert.deepEqual(describeFocusReport(report), []);
    await page.close();
  });

  test('an app key is refused the admin pages; sign-out leaves nothing stored', async () => {
    const page = await signedIn(tenant.keys.app.key, '/console/sessions');
    assert.equal(await page.getByTestId('role').textContent(), 'app');
    assert.equal(await page.locator('header nav a').count(), 0, 'no pages offered to an app key');
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /Forbidden \(403\)/);
    assert.equal(await page.getByTestId('live-sessions').count(), 0);
    await browser.screenshot(page, 'app-key-refused');
    assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'the key is in this tab only');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.deepEqual(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]'), [0, 0, '']);
    assert.deepEqual(await browser.context.cookies(), []);
    await page.close();
  });

  test('the operator sees tenants and their keys', async () => {
    const page = await signedIn(sb.operatorKey, '/console');
    await page.getByTestId('tenants').getByRole('cell', { name: tenant.name, exact: true }).waitFor();
    await page.getByRole('button', { name: `Keys of ${tenant.name}` }).click();
    await page.getByTestId('api-keys').getByRole('cell', { name: 'finance key', exact: true }).waitFor();
    await browser.screenshot(page, 'operator-tenants');
    await page.close();
    assert.deepEqual(cspErrors, [], 'no Content-Security-Policy violation or page error on any page');
  });
});
