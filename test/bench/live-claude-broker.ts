import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

const emulatorCli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/broker/src/cli/emulator.js');

/**
 * The Claude emulator in a process of its own (`npm run emulator`), as a
 * cloud is to the broker: its sockets, memory and CPU are not the broker's,
 * and every replica talks to the same one.
 */
export async function startClaudeEmulatorProcess(): Promise<{ child: ChildProcess; url: string; target: unknown; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [emulatorCli, 'claude'], { env: { ...process.env, EMULATOR_PACING_MS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = await new Promise<{ url: string; target: unknown }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (\S+)/.exec(output)?.[1];
      const target = /a target that works against it: (\{.*\})/.exec(output)?.[1];
      if (url && target) {
        clearTimeout(timer);
        resolve({ url, target: JSON.parse(target) });
      }
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}:\n${output}`)));
  });
  return {
    child,
    ...started,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
