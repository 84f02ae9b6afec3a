import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { DatabaseAttacker } from '../support/database-attacker.js';
import { createTenantWithKeys, startTestBroker, type TestBroker } from '../support/test-broker.js';

interface Checkpoint {
  tenant: string;
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

/**
 * The audit chain against someone who can write the database but does not
 * hold the audit key (the two rewrites, and the ways around them).
 * Every tamper goes through the superuser connection, as such a writer would.
 */
describe('audit integrity against a database writer without the key', () => {
  let sb: TestBroker;
  let attacker: DatabaseAttacker;
  before(async () => {
    sb = await startTestBroker();
    attacker = new DatabaseAttacker(sb.broker.database.database);
  });
  after(() => sb.close());

  /** A tenant whose chain holds a dozen events (its creation, then credentials). */
  async function tenantWithHistory() {
    const tenant = await createTenantWithKeys(sb, ['admin', 'auditor']);
    const admin = sb.as(tenant.keys.admin.key);
    for (let index = 0; index < 9; index++) assert.equal((await admin.post('/v1/api-keys', { role: 'app', name: `key ${index}` })).status, 201);
    const auditor = sb.as(tenant.keys.auditor.key);
    const verdict = await auditor.get('/v1/audit/verify');
    assert.equal(verdict.json.ok, true, JSON.stringify(verdict.json));
    return { tenantId: tenant.tenantId, auditor, length: verdict.json.checked as number };
  }

  test('(a) an edited event, every later one re-chained and the head moved: verify names the edited seq', async () => {
    const { tenantId, auditor, length } = await tenantWithHistory();
    await attacker.rewriteFrom(tenantId, 4, (event) => (event.detail = { ...event.detail, name: 'forged' }));
    const verdict = (await auditor.get('/v1/audit/verify')).json;
    assert.deepEqual(pick(verdict), { ok: false, firstBadSeq: 4 }, JSON.stringify(verdict));
    assert.match(verdict.reason, /content does not match its hash/);
    assert.ok(length > 4);
  });

  test('(b) the newest events deleted and the head moved back: detected through a checkpoint taken before, even once the stored ones are deleted too', async () => {
    const { tenantId, auditor, length } = await tenantWithHistory();
    const taken = await auditor.post('/v1/audit/checkpoints', {});
    assert.equal(taken.status, 201, taken.text);
    const kept = taken.json as Checkpoint;
    assert.equal(kept.seq, length);

    await attacker.truncateAfter(tenantId, length - 3);
    assert.deepEqual(pick((await auditor.get('/v1/audit/verify')).json), { ok: false, firstBadSeq: length - 2 }, 'the stored checkpoint catches it');

    await attacker.deleteCheckpoints(tenantId);
    // With nothing outside the chain to compare with, a truncation with a consistent head is invisible:
    assert.equal((await auditor.get('/v1/audit/verify')).json.ok, true);
    const verdict = (await auditor.post('/v1/audit/verify', { checkpoints: [kept] })).json;
    assert.deepEqual(pick(verdict), { ok: false, firstBadSeq: length - 2 }, JSON.stringify(verdict));
    assert.match(verdict.reason, new RegExp(`checkpoint signed at ${kept.at} vouches for seq ${length}, past the end`));
    // The broker itself refuses to sign the shortened head while a checkpoint past it is stored.
    await attacker.storeCheckpoint(kept);
    assert.equal((await auditor.post('/v1/audit/checkpoints', {})).json.reason, 'chain_behind_checkpoint');
  });

  test('the whole chain rewritten as unkeyed (legacy) events and its checkpoints deleted: not ok, and the broker never anchors it', async () => {
    const { tenantId, auditor, length } = await tenantWithHistory();
    await auditor.post('/v1/audit/checkpoints', {});
    // The head's, and any a reaper signed on the way (as on a shared database).
    const [earliest] = (await auditor.get('/v1/audit/checkpoints')).json.data as Checkpoint[];
    await attacker.rewriteFrom(tenantId, 1, (event) => (event.detail = { ...event.detail, name: 'forged' }), { markUnkeyed: true });
    const withCheckpoint = (await auditor.get('/v1/audit/verify')).json;
    assert.deepEqual(pick(withCheckpoint), { ok: false, firstBadSeq: earliest.seq });
    assert.match(withCheckpoint.reason, /does not match the checkpoint/);

    await attacker.deleteCheckpoints(tenantId);
    const verdict = (await auditor.get('/v1/audit/verify')).json;
    assert.deepEqual(
      { ...pick(verdict), legacyThroughSeq: verdict.legacyThroughSeq, legacyAnchored: verdict.legacyAnchored },
      { ok: false, firstBadSeq: null, legacyThroughSeq: length, legacyAnchored: false },
      JSON.stringify(verdict),
    );
    const asked = await auditor.post('/v1/audit/checkpoints', {});
    assert.deepEqual([asked.status, asked.json.reason], [409, 'legacy_head'], 'an unkeyed head is never signed on request');
  });

  test('unkeyed events after keyed ones name the first of them', async () => {
    const { tenantId, auditor } = await tenantWithHistory();
    await attacker.rewriteFrom(tenantId, 6, () => undefined, { markUnkeyed: true });
    const verdict = (await auditor.get('/v1/audit/verify')).json;
    assert.deepEqual(pick(verdict), { ok: false, firstBadSeq: 6 });
    assert.match(verdict.reason, /unkeyed after keyed/);
  });

  test('a checkpoint forged into the database is reported, not trusted', async () => {
    const { tenantId, auditor } = await tenantWithHistory();
    const events = (await auditor.get('/v1/audit/events?limit=1000')).json.data as Array<{ seq: number; hash: string; keyId: string }>;
    const signed = new Set(((await auditor.get('/v1/audit/checkpoints')).json.data as Checkpoint[]).map((checkpoint) => checkpoint.seq));
    const forged = events.find((event) => event.seq > 2 && !signed.has(event.seq))!;
    await attacker.storeCheckpoint({ tenant: tenantId, seq: forged.seq, hash: forged.hash, at: new Date().toISOString(), keyId: forged.keyId, signature: 'A'.repeat(86) });
    const verdict = (await auditor.get('/v1/audit/verify')).json;
    assert.deepEqual(pick(verdict), { ok: false, firstBadSeq: forged.seq });
    assert.match(verdict.reason, /does not carry a valid signature/);
  });

  test('checkpoints verify with the published Ed25519 public key alone, as an external verifier would', async () => {
    const { tenantId, auditor, length } = await tenantWithHistory();
    const checkpoint = (await auditor.post('/v1/audit/checkpoints', {})).json as Checkpoint;
    assert.deepEqual({ tenant: checkpoint.tenant, seq: checkpoint.seq }, { tenant: tenantId, seq: length });
    const events = (await auditor.get('/v1/audit/events?limit=1000')).json.data as Array<{ seq: number; hash: string; keyId: string }>;
    assert.equal(checkpoint.hash, events[length - 1].hash);
    assert.equal(checkpoint.keyId, events[length - 1].keyId);

    const again = await auditor.post('/v1/audit/checkpoints', {});
    assert.deepEqual(again.json, checkpoint, 'the head did not move: the same checkpoint');
    const listed = (await auditor.get('/v1/audit/checkpoints')).json.data as Checkpoint[];
    assert.ok(listed.some((stored) => JSON.stringify(stored) === JSON.stringify(checkpoint)));

    const { keys } = (await auditor.get('/v1/audit/checkpoint-keys')).json as { keys: Array<{ kid: string; kty: string; crv: string; x: string }> };
    const jwk = keys.find((key) => key.kid === checkpoint.keyId)!;
    assert.deepEqual([jwk.kty, jwk.crv], ['OKP', 'Ed25519']);
    // The signed bytes, rebuilt from the documentation: canonical JSON of {at, hash, keyId, seq, tenant}.
    const payload = `{"at":"${checkpoint.at}","hash":"${checkpoint.hash}","keyId":"${checkpoint.keyId}","seq":${checkpoint.seq},"tenant":"${checkpoint.tenant}"}`;
    const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
    assert.equal(verify(null, Buffer.from(payload), publicKey, Buffer.from(checkpoint.signature, 'base64url')), true);
    assert.equal(verify(null, Buffer.from(payload.replace(`"seq":${checkpoint.seq}`, `"seq":${checkpoint.seq - 1}`)), publicKey, Buffer.from(checkpoint.signature, 'base64url')), false);
  });

  test("kept checkpoints that were altered, or are another tenant's, are refused with each problem listed", async () => {
    const one = await tenantWithHistory();
    const two = await tenantWithHistory();
    const mine = (await one.auditor.post('/v1/audit/checkpoints', {})).json as Checkpoint;
    const theirs = (await two.auditor.post('/v1/audit/checkpoints', {})).json as Checkpoint;
    const answer = await one.auditor.post('/v1/audit/verify', { checkpoints: [mine, { ...mine, seq: mine.seq - 1 }, theirs] });
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(answer.json.errors.map((error: { path: string }) => error.path), ['checkpoints.1.signature', 'checkpoints.2.tenant']);
    const malformed = await one.auditor.post('/v1/audit/verify', { checkpoints: [{ ...mine, hash: 'nothex' }] });
    assert.equal(malformed.status, 400);
    // (Other test files' brokers on a shared PostgreSQL may have signed heads of this tenant too.)
    const stored = (await one.auditor.get('/v1/audit/checkpoints')).json.data.length as number;
    assert.equal((await one.auditor.post('/v1/audit/verify', { checkpoints: [mine] })).json.checkpointsMatched, stored + 1, 'the stored ones and the kept one');
  });

  test('the JSON lines export carries each checkpoint after the event it vouches for', async () => {
    const { auditor, length } = await tenantWithHistory();
    const checkpoint = (await auditor.post('/v1/audit/checkpoints', {})).json as Checkpoint;
    const exported = await auditor.get('/v1/audit/export?format=jsonl&checkpoints=true');
    assert.equal(exported.status, 200);
    const lines = exported.text.trim().split('\n').map((line) => JSON.parse(line) as { seq?: number; checkpoint?: Checkpoint });
    const stored = (await auditor.get('/v1/audit/checkpoints')).json.data as Checkpoint[];
    assert.deepEqual(lines.filter((line) => line.checkpoint).map((line) => line.checkpoint), stored);
    assert.equal(lines.length, length + stored.length);
    assert.deepEqual(lines.at(-1)!.checkpoint, checkpoint);
    assert.equal(lines.at(-2)!.seq, length);
    for (const [index, line] of lines.entries()) if (line.checkpoint) assert.equal(lines[index - 1].seq, line.checkpoint.seq, 'after the event it vouches for');
    const plain = (await auditor.get('/v1/audit/export?format=jsonl')).text.trim().split('\n');
    assert.equal(plain.length, length, 'without the parameter, events only');
    assert.equal((await auditor.get('/v1/audit/export?format=ocsf&checkpoints=true')).status, 400);
  });
});

const pick = (verdict: { ok: boolean; firstBadSeq: number | null }) => ({ ok: verdict.ok, firstBadSeq: verdict.firstBadSeq });
