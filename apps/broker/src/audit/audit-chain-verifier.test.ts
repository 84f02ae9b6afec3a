import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AuditChainVerifier, type ChainAnchor } from './audit-chain-verifier.js';
import { AuditKey, AuditKeyring } from './audit-keyring.js';
import { genesisHash, legacyChainHash, nextChainedEvent } from './audit-log.js';
import type { AuditEventView } from './audit.schemas.js';

const keys = { a: new AuditKey('a', randomBytes(32)), b: new AuditKey('b', randomBytes(32)) };
const keyringOf = (current: AuditKey, ...others: AuditKey[]) => new AuditKeyring(others, current);

/** A chain whose events are legacy (`null`) or keyed with the named key, in order. */
function chain(...keyIds: Array<'a' | 'b' | null>): AuditEventView[] {
  let head = { lastSeq: 0, lastHash: genesisHash, lastAt: null as Date | null };
  return keyIds.map((keyId) => {
    const keyed = nextChainedEvent(keyringOf(keys[keyId ?? 'a']), head, 'ten_1', { type: 'credential.created', detail: { n: head.lastSeq } });
    const { hash: _keyedHash, ...unhashed } = keyed;
    const event = keyId === null ? { ...unhashed, keyId: null, hash: legacyChainHash({ ...unhashed, keyId: null }) } : keyed;
    head = { lastSeq: event.seq, lastHash: event.hash, lastAt: new Date(event.at) };
    return event;
  });
}

function verify(events: AuditEventView[], options: { keyring?: AuditKeyring; anchors?: ChainAnchor[] } = {}) {
  const verifier = new AuditChainVerifier(options.keyring ?? keyringOf(keys.b, keys.a));
  verifier.expect(options.anchors ?? []);
  for (const event of events) if (!verifier.accept(event)) return verifier.finish(undefined);
  const last = events.at(-1);
  return verifier.finish(last && { lastSeq: last.seq, lastHash: last.hash });
}

const anchorAt = (event: AuditEventView, hash = event.hash): ChainAnchor => ({ seq: event.seq, hash, at: '2026-11-21T00:00:00.000Z' });

test('a chain keyed with several keys verifies with a keyring holding them all', () => {
  const verdict = verify(chain('a', 'a', 'b'));
  assert.deepEqual(verdict, { ok: true, checked: 3, firstBadSeq: null, reason: null, checkpointsMatched: 0, legacyThroughSeq: null, legacyAnchored: null, uncheckedFromSeq: null });
});

test('an event whose key is missing stops the check there, without calling it tampered', () => {
  const verdict = verify(chain('a', 'b', 'b'), { keyring: keyringOf(keys.a) });
  assert.deepEqual([verdict.ok, verdict.checked, verdict.firstBadSeq, verdict.uncheckedFromSeq], [false, 1, null, 2]);
  assert.match(verdict.reason!, /keyed with "b", a key this broker does not hold/);
});

test('a legacy prefix is accepted only when a checkpoint at its last event vouches for it', () => {
  const events = chain(null, null, 'a', 'b');
  assert.deepEqual(pickLegacy(verify(events, { anchors: [anchorAt(events[1])] })), { ok: true, legacyThroughSeq: 2, legacyAnchored: true, checkpointsMatched: 1 });
  assert.deepEqual(pickLegacy(verify(events, { anchors: [anchorAt(events[3])] })), { ok: false, legacyThroughSeq: 2, legacyAnchored: false, checkpointsMatched: 1 });
  assert.deepEqual(pickLegacy(verify(events)), { ok: false, legacyThroughSeq: 2, legacyAnchored: false, checkpointsMatched: 0 });
});

test('a legacy event after a keyed one is bad', () => {
  const verdict = verify(chain('a', null));
  assert.deepEqual([verdict.ok, verdict.firstBadSeq], [false, 2]);
  assert.match(verdict.reason!, /unkeyed after keyed/);
});

test('checkpoints: a different hash at their seq, or a seq past the end, names the bad seq', () => {
  const events = chain('a', 'a', 'a');
  const differs = verify(events, { anchors: [anchorAt(events[0]), anchorAt(events[1], 'f'.repeat(64))] });
  assert.deepEqual([differs.ok, differs.firstBadSeq, differs.checkpointsMatched], [false, 2, 1]);
  const beyond = verify(events, { anchors: [{ seq: 5, hash: 'f'.repeat(64), at: 'then' }] });
  assert.deepEqual([beyond.ok, beyond.firstBadSeq], [false, 4]);
  assert.match(beyond.reason!, /vouches for seq 5, past the end of the chain/);
});

const pickLegacy = (verdict: ReturnType<typeof verify>) => ({
  ok: verdict.ok,
  legacyThroughSeq: verdict.legacyThroughSeq,
  legacyAnchored: verdict.legacyAnchored,
  checkpointsMatched: verdict.checkpointsMatched,
});
