import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';

/** Where the SDK clients point: AWS (default credential chain) or the emulator (static test credentials). */
export type AgentCoreConnection =
  | { kind: 'aws' }
  | { kind: 'emulator'; endpoint: string };

/** Credentials the emulator accepts; it checks that a SigV4 `authorization` header is there, not what it says. */
const emulatorCredentials = { accessKeyId: 'AKIDSWITCHBOARDEMULATOR', secretAccessKey: 'switchboard-emulator-secret' };

/**
 * The SDK clients, one set per region (the region comes from each target's
 * ARN). Invoke gets a single attempt: the SDK would otherwise resend a turn
 * after a 429 or 5xx by itself; throttling is retried by the broker, which
 * knows whether the turn was accepted. Stop and the control plane keep the
 * SDK's standard retries: both are idempotent.
 */
export class AgentCoreClients {
  private readonly invokers = new Map<string, BedrockAgentCoreClient>();
  private readonly stoppers = new Map<string, BedrockAgentCoreClient>();
  private readonly controls = new Map<string, BedrockAgentCoreControlClient>();

  constructor(
    private readonly connection: AgentCoreConnection,
    private readonly callTimeoutMs: number,
  ) {}

  invoke(region: string): BedrockAgentCoreClient {
    return memo(this.invokers, region, () => new BedrockAgentCoreClient({ ...this.common(region), maxAttempts: 1 }));
  }

  stop(region: string): BedrockAgentCoreClient {
    return memo(this.stoppers, region, () => new BedrockAgentCoreClient({ ...this.common(region), maxAttempts: 3, requestHandler: { requestTimeout: this.callTimeoutMs } }));
  }

  control(region: string): BedrockAgentCoreControlClient {
    return memo(this.controls, region, () => new BedrockAgentCoreControlClient({ ...this.common(region), maxAttempts: 3, requestHandler: { requestTimeout: this.callTimeoutMs } }));
  }

  destroy(): void {
    for (const client of [...this.invokers.values(), ...this.stoppers.values(), ...this.controls.values()]) client.destroy();
  }

  private common(region: string) {
    return this.connection.kind === 'emulator' ? { region, endpoint: this.connection.endpoint, credentials: emulatorCredentials } : { region };
  }
}

function memo<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (!value) map.set(key, (value = make()));
  return value;
}
