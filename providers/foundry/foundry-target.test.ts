import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetWith } from '#libs/provider-kit';
import { foundryTargetSchema, foundryTargetScopes } from './foundry-target.js';

const target = (projectEndpoint: string) => ({ projectEndpoint, agentName: 'refund', agentVersion: '3' });

describe('foundry target: project endpoint', () => {
  test('accepts the documented form and scopes it to <resource>/<project>', () => {
    for (const endpoint of ['https://acct.services.ai.azure.com/api/projects/p1', 'https://my-ai-res01.services.ai.azure.com/api/projects/Refunds_2.prod']) {
      const parsed = parseTargetWith(foundryTargetSchema, target(endpoint));
      assert.equal(parsed.ok, true, endpoint);
    }
    assert.deepEqual(foundryTargetScopes.of(target('https://acct.services.ai.azure.com/api/projects/p1')), [{ kind: 'project', value: 'acct/p1' }]);
  });

  test('refuses other hosts, user info, ports, IP literals and lookalikes', () => {
    const refused = [
      'https://evil.example/api/projects/x',
      'https://169.254.169.254/api/projects/x',
      'https://169.254.169.254/metadata/identity/oauth2/token',
      'https://localhost:5432/api/projects/x',
      'https://127.0.0.1/api/projects/x',
      'https://[::1]/api/projects/x',
      'https://user:pw@x.services.ai.azure.com/api/projects/p',
      'https://x.services.ai.azure.com@evil.example/api/projects/p',
      'https://x.services.ai.azure.com:443/api/projects/p',
      'https://x.services.ai.azure.com:8443/api/projects/p',
      'https://x.services.ai.azure.com.evil.example/api/projects/p',
      'https://x.services.ai.azure.com./api/projects/p',
      'https://evil.example#.services.ai.azure.com/api/projects/p',
      'https://evil.example\\.services.ai.azure.com/api/projects/p',
      'https://a.b.services.ai.azure.com/api/projects/p',
      'https://X.services.ai.azure.com/api/projects/p',
      'https://x.services.ai.azure.com/api/projects/p/',
      'https://x.services.ai.azure.com/api/projects/p?x=1',
      'https://x.services.ai.azure.com/api/projects/%2e%2e',
      'https://x.services.ai.azure.com/api/projects/..',
      'http://x.services.ai.azure.com/api/projects/p',
      'https://x.openai.azure.com/api/projects/p',
      'https://x.cognitiveservices.azure.com/api/projects/p',
    ];
    for (const endpoint of refused) {
      const parsed = parseTargetWith(foundryTargetSchema, target(endpoint));
      assert.equal(parsed.ok, false, endpoint);
      if (!parsed.ok) assert.equal(parsed.problems[0].path, 'projectEndpoint');
    }
  });
});

describe('foundry clients: the last gate before the credential', () => {
  test('a client for a foreign endpoint is never made, so no token is ever asked for it', async () => {
    const { FoundryClients } = await import('./foundry-clients.js');
    let tokensAsked = 0;
    const clients = new FoundryClients({ getToken: async () => (tokensAsked++, { token: 'platform-token', expiresOnTimestamp: Date.now() + 3600_000 }) });
    for (const endpoint of ['https://evil.example/api/projects/x', 'https://169.254.169.254/api/projects/x', 'https://user:pw@x.services.ai.azure.com/api/projects/p']) {
      assert.throws(() => clients.project(endpoint, undefined), (error: unknown) => (error as { kind?: string }).kind === 'invalid_target', endpoint);
      assert.throws(() => clients.openai(endpoint, 'agent', undefined), (error: unknown) => (error as { kind?: string }).kind === 'invalid_target', endpoint);
    }
    assert.ok(clients.project('https://acct.services.ai.azure.com/api/projects/p1', undefined));
    assert.equal(tokensAsked, 0);
    clients.close();
  });
});
