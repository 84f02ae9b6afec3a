import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { developmentKeyFileName, loadAuditKeys } from './audit-key-source.js';

const noKeys = (devKeyDir: string) => ({ keys: undefined, devKeyDir, checkpointIntervalMs: 0, verifyIntervalMs: 0 });

test('configured keys: the named one is current, the others are kept for verifying', () => {
  const { keyring, development } = loadAuditKeys({
    keys: { currentId: 'k2', all: [{ id: 'k1', secret: randomBytes(32) }, { id: 'k2', secret: randomBytes(32) }] },
    devKeyDir: '/nonexistent',
    checkpointIntervalMs: 0,
    verifyIntervalMs: 0,
  });
  assert.equal(development, undefined);
  assert.equal(keyring.current.id, 'k2');
  assert.ok(keyring.find('k1'));
  assert.deepEqual(keyring.publicJwks().keys.map((key) => key.kid).sort(), ['k1', 'k2']);
});

test('no keys: a development key file is created once, owner-only, and read back after', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-dev-key-'));
  try {
    const first = loadAuditKeys(noKeys(path.join(dir, 'nested')));
    const keyFile = path.join(dir, 'nested', developmentKeyFileName);
    assert.deepEqual(first.development, { keyFile, generated: true });
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), new RegExp(`^${first.keyring.current.id}:[A-Za-z0-9+/]+=*\\n$`));
    const second = loadAuditKeys(noKeys(path.join(dir, 'nested')));
    assert.deepEqual(second.development, { keyFile, generated: false });
    assert.deepEqual(second.keyring.current.publicJwk(), first.keyring.current.publicJwk(), 'the same key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no keys and no usable folder: boot stops, saying what to set', () => {
  assert.throws(() => loadAuditKeys(noKeys('/dev/null/not-a-folder')), /SWITCHBOARD_AUDIT_KEYS is not set and the development audit key .* cannot be read or created/);
});

test('no keys on an in-memory database: an in-memory key, said to be so', () => {
  const { keyring, development } = loadAuditKeys(noKeys('memory://'));
  assert.deepEqual(development, { keyFile: undefined, generated: true });
  assert.match(keyring.current.id, /^dev-[0-9a-f]{12}$/);
});
