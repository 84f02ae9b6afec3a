import { HttpClient } from '../support/http-client.js';
import { grantTargets } from '../support/target-grants.js';

/**
 * The environment of a broker whose only runtime is Claude, live against an
 * emulator the broker does not own (its memory, sockets and CPU are not the
 * broker's): the stream benches measure the broker alone this way.
 */
export function liveClaudeBrokerEnv(options: { emulatorUrl: string; databaseUrl: string | undefined; dataDir: string; operatorKey: string }): Record<string, string> {
  return {
    SWITCHBOARD_CLAUDE_MODE: 'live',
    ANTHROPIC_API_KEY: 'sk-ant-bench',
    ANTHROPIC_BASE_URL: options.emulatorUrl,
    SWITCHBOARD_AGENTCORE_MODE: 'off',
    SWITCHBOARD_FOUNDRY_MODE: 'off',
    SWITCHBOARD_VERTEX_MODE: 'off',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    SWITCHBOARD_SEED_DEMO: 'off',
    // Also where the development audit key goes on PostgreSQL.
    SWITCHBOARD_DATA_DIR: options.dataDir,
    SWITCHBOARD_ADMIN_KEY: options.operatorKey,
    // (spawnBroker waits for the info line saying where it listens.)
    LOG_LEVEL: 'info',
  };
}

/** A live runtime's targets are the operator's to grant (README: Target grants): grants the tenant the emulator's target. */
export async function grantClaudeTarget(brokerUrl: string, operatorKey: string, tenantId: string, target: unknown): Promise<void> {
  await grantTargets({ operator: new HttpClient(brokerUrl, { authorization: `Bearer ${operatorKey}` }) }, tenantId, { claude: target });
}
