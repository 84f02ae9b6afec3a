import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedIdentityCredential, WorkloadIdentityCredential, type TokenCredential } from '@azure/identity';
import type { AzureIdentity } from '#libs/config';
import { credentialStat } from '#libs/emulator-kit';
import { RuntimeError, type SessionBinding } from '#libs/runtime-spec';
import { FoundryAdapter } from './foundry-adapter.js';
import { azureIdentityCredential } from './foundry-credentials.js';
import { startFoundryEmulator, type FoundryEmulator } from './emulator/index.js';

const identities = new Map<string, AzureIdentity>([
  ['bu-retail', { kind: 'azure', name: 'bu-retail', clientId: '11111111-1111-1111-1111-111111111111' }],
  ['bu-ops', { kind: 'azure', name: 'bu-ops', clientId: '22222222-2222-2222-2222-222222222222', tenantId: '33333333-3333-3333-3333-333333333333' }],
]);
/** A token per credential, as Entra would mint one per client id. */
const staticCredential = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });

let emulator: FoundryEmulator;
let adapter: FoundryAdapter;

before(async () => {
  emulator = await startFoundryEmulator();
  adapter = new FoundryAdapter({
    mode: 'emulated',
    credential: staticCredential('platform-token'),
    identities,
    identityCredential: (identity) => staticCredential(`token-of-${identity.clientId}`),
    emulator: { url: emulator.url, caCertificate: emulator.caCertificate },
    callTimeoutMs: 5000,
  });
});
after(async () => {
  adapter.close();
  await emulator.stop();
});

let counter = 0;
function binding(identity?: string): SessionBinding {
  counter += 1;
  return {
    sessionId: `ses_identity${counter}`,
    tenantId: 'ten_1',
    userId: 'u-1',
    agent: { id: 'agt_1', name: 'a', instructions: null },
    target: { ...(emulator.demoTarget as object), ...(identity ? { identity } : {}) },
    metadata: {},
    idleTimeoutSeconds: 900,
    maxLifetimeSeconds: 3600,
  };
}

/** Opens a session and runs one turn as the target's identity; returns the credentials the service saw. */
async function credentialsSeen(identity?: string): Promise<Record<string, number>> {
  emulator.stats.reset();
  const bound = binding(identity);
  const opened = await adapter.openSession(bound, AbortSignal.timeout(5000));
  const handle = { binding: bound, ...opened };
  for await (const event of adapter.runTurn({ session: handle, turnId: 'trn_1', input: [{ type: 'text', text: 'hello' }], signal: AbortSignal.timeout(5000) })) void event;
  await adapter.stopSession(handle);
  return Object.fromEntries(Object.entries(emulator.stats.snapshot()).filter(([op]) => op.startsWith('credential ')));
}

test("a target naming an Azure identity calls Foundry (sessions, turns, stop) with that identity's token alone; none with the platform's", async () => {
  const retail = await credentialsSeen('bu-retail');
  assert.deepEqual(Object.keys(retail), [credentialStat('token-of-11111111-1111-1111-1111-111111111111')]);
  const ops = await credentialsSeen('bu-ops');
  assert.deepEqual(Object.keys(ops), [credentialStat('token-of-22222222-2222-2222-2222-222222222222')]);
  const platform = await credentialsSeen();
  assert.deepEqual(Object.keys(platform), [credentialStat('platform-token')]);
});

test('an identity the configuration does not hold is refused before any call', async () => {
  emulator.stats.reset();
  await assert.rejects(adapter.openSession(binding('bu-unknown'), AbortSignal.timeout(5000)), (error) => error instanceof RuntimeError && error.kind === 'invalid_target');
  assert.deepEqual(emulator.stats.snapshot(), {});
});

test("live credentials: workload identity federation with the identity's client id where the pod has a federated token, else its managed identity", () => {
  const workload = azureIdentityCredential(identities.get('bu-ops')!, { federatedTokenFile: '/var/run/secrets/azure/tokens/azure-identity-token', tenantId: undefined });
  assert.ok(workload instanceof WorkloadIdentityCredential);
  // Without a tenant (neither the identity's nor AZURE_TENANT_ID) federation cannot be asked: the host's managed identity of that client id.
  assert.ok(azureIdentityCredential(identities.get('bu-retail')!, { federatedTokenFile: '/var/run/secrets/azure/tokens/azure-identity-token', tenantId: undefined }) instanceof ManagedIdentityCredential);
  assert.ok(azureIdentityCredential(identities.get('bu-retail')!, { federatedTokenFile: '/tok', tenantId: '44444444-4444-4444-4444-444444444444' }) instanceof WorkloadIdentityCredential);
  assert.ok(azureIdentityCredential(identities.get('bu-retail')!, { federatedTokenFile: undefined, tenantId: undefined }) instanceof ManagedIdentityCredential);
});
