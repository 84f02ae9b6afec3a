import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (source: Record<string, string>): string[] => {
  try {
    loadConfig(source);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
};

test('no identities configured: an empty registry', () => {
  assert.equal(loadConfig({}).identities.size, 0);
});

test('identities of every kind, from SWITCHBOARD_IDENTITIES; Anthropic keys read from their variable or file at boot', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'identities-'));
  try {
    writeFileSync(path.join(dir, 'api-key'), 'sk-ant-from-file\n');
    const identities = {
      'bu-finance': { kind: 'aws', roleArn: 'arn:aws:iam::123456789012:role/finance-agents', externalId: 'ext-42' },
      'bu-retail': { kind: 'azure', clientId: '11111111-2222-3333-4444-555555555555' },
      'bu-ml': { kind: 'google', serviceAccount: 'agents@ml-project.iam.gserviceaccount.com' },
      'ws-file': { kind: 'anthropic', apiKeyFile: path.join(dir, 'api-key') },
      'ws-env': { kind: 'anthropic', apiKeyEnv: 'BU_SUPPORT_ANTHROPIC_KEY' },
    };
    const config = loadConfig({ SWITCHBOARD_IDENTITIES: JSON.stringify(identities), BU_SUPPORT_ANTHROPIC_KEY: 'sk-ant-from-env' });
    assert.deepEqual([...config.identities.keys()].sort(), ['bu-finance', 'bu-ml', 'bu-retail', 'ws-env', 'ws-file']);
    assert.deepEqual(config.identities.get('bu-finance'), { ...identities['bu-finance'], name: 'bu-finance' });
    assert.deepEqual(config.identities.get('ws-file'), { kind: 'anthropic', name: 'ws-file', apiKey: 'sk-ant-from-file', keySource: `file:${path.join(dir, 'api-key')}` });
    assert.deepEqual(config.identities.get('ws-env'), { kind: 'anthropic', name: 'ws-env', apiKey: 'sk-ant-from-env', keySource: 'env:BU_SUPPORT_ANTHROPIC_KEY' });

    // The same JSON from a mounted file (ConfigMap).
    writeFileSync(path.join(dir, 'identities.json'), JSON.stringify(identities));
    const fromFile = loadConfig({ SWITCHBOARD_IDENTITIES_FILE: path.join(dir, 'identities.json'), BU_SUPPORT_ANTHROPIC_KEY: 'sk-ant-from-env' });
    assert.equal(fromFile.identities.size, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every bad identity is reported at once, naming the identity and field, never a secret', () => {
  const problems = problemsOf({
    SWITCHBOARD_IDENTITIES: JSON.stringify({
      'bad-role': { kind: 'aws', roleArn: 'arn:aws:iam::123:user/x' },
      'bad-azure': { kind: 'azure', clientId: 'not-a-guid' },
      'bad-kind': { kind: 'oracle' },
      'both-keys': { kind: 'anthropic', apiKeyFile: '/x', apiKeyEnv: 'X' },
      'extra-field': { kind: 'google', serviceAccount: 'a@p.iam.gserviceaccount.com', privateKey: 'nope' },
    }),
    PORT: 'eighty',
  });
  assert.ok(problems.some((problem) => problem.startsWith('PORT')), problems.join('\n'));
  for (const name of ['bad-role.roleArn', 'bad-azure.clientId', 'bad-kind.kind', 'both-keys', 'extra-field']) {
    assert.ok(problems.some((problem) => problem.startsWith(`SWITCHBOARD_IDENTITIES: ${name}`)), `${name} in:\n${problems.join('\n')}`);
  }
});

test('an Anthropic key that is missing, unreadable or empty stops the boot; both sources at once is refused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'identities-'));
  try {
    writeFileSync(path.join(dir, 'empty'), '\n');
    const problems = problemsOf({
      SWITCHBOARD_IDENTITIES: JSON.stringify({
        'no-env': { kind: 'anthropic', apiKeyEnv: 'UNSET_KEY_VARIABLE' },
        'no-file': { kind: 'anthropic', apiKeyFile: path.join(dir, 'absent') },
        'empty-file': { kind: 'anthropic', apiKeyFile: path.join(dir, 'empty') },
      }),
    });
    assert.deepEqual(problems, [
      'SWITCHBOARD_IDENTITIES: no-env: apiKeyEnv: UNSET_KEY_VARIABLE is not set',
      `SWITCHBOARD_IDENTITIES: no-file: apiKeyFile: cannot read ${path.join(dir, 'absent')} (ENOENT)`,
      `SWITCHBOARD_IDENTITIES: empty-file: apiKeyFile: ${path.join(dir, 'empty')} is empty`,
    ]);
    assert.match(problemsOf({ SWITCHBOARD_IDENTITIES: '{}', SWITCHBOARD_IDENTITIES_FILE: '/x' })[0], /not both/);
    assert.match(problemsOf({ SWITCHBOARD_IDENTITIES: '[not json' })[0], /^SWITCHBOARD_IDENTITIES: must be a JSON object/);
    assert.match(problemsOf({ SWITCHBOARD_IDENTITIES_FILE: path.join(dir, 'absent') })[0], /^SWITCHBOARD_IDENTITIES_FILE: cannot read .* \(ENOENT\)$/);
    assert.match(problemsOf({ SWITCHBOARD_IDENTITIES: JSON.stringify({ 'bad name!': { kind: 'azure', clientId: '11111111-2222-3333-4444-555555555555' } }) })[0], /identity names/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
