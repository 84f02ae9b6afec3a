import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import type { AwsIdentity, IdentitiesConfig } from '#libs/config';
import { PerIdentity } from '#libs/provider-kit';
import { assumedRoleCredentials } from './agentcore-credentials.js';
import { parseRuntimeArn, type AgentCoreTarget } from './agentcore-target.js';

/**
 * Where the SDK clients point: AWS (default credential chain; `stsEndpoint`
 * names another STS endpoint for assuming identities' roles, such as a VPC
 * interface endpoint) or the emulator (static test credentials).
 */
export type AgentCoreConnection =
  | { kind: 'aws'; stsEndpoint?: string }
  | { kind: 'emulator'; endpoint: string };

/** Credentials the emulator accepts; it checks that a SigV4 `authorization` header is there, not what it says. */
const emulatorCredentials = { accessKeyId: 'AKIDSWITCHBOARDEMULATOR', secretAccessKey: 'switchboard-emulator-secret' };

interface RegionClients {
  invoke: BedrockAgentCoreClient;
  stop: BedrockAgentCoreClient;
  control: BedrockAgentCoreControlClient;
}

/**
 * The SDK clients, one set per identity and region (the region comes from
 * each target's ARN, the identity from its `identity`: the platform's
 * default credential chain when it names none, else the assumed role of the
 * configured identity). Invoke gets a single attempt: the SDK would
 * otherwise resend a turn after a 429 or 5xx by itself; throttling is
 * retried by the broker, which knows whether the turn was accepted. Stop and
 * the control plane keep the SDK's standard retries: both are idempotent.
 */
export class AgentCoreClients {
  private readonly byIdentity: PerIdentity<'aws', { identity: AwsIdentity | undefined; regions: Map<string, RegionClients> }>;

  constructor(
    private readonly connection: AgentCoreConnection,
    private readonly callTimeoutMs: number,
    identities: IdentitiesConfig,
  ) {
    this.byIdentity = new PerIdentity(identities, 'aws', (identity) => ({ identity, regions: new Map() }));
  }

  invoke(target: AgentCoreTarget): BedrockAgentCoreClient {
    return this.clientsFor(target).invoke;
  }

  stop(target: AgentCoreTarget): BedrockAgentCoreClient {
    return this.clientsFor(target).stop;
  }

  control(target: AgentCoreTarget): BedrockAgentCoreControlClient {
    return this.clientsFor(target).control;
  }

  destroy(): void {
    for (const { regions } of this.byIdentity.values()) {
      for (const clients of regions.values()) for (const client of [clients.invoke, clients.stop, clients.control]) client.destroy();
    }
  }

  private clientsFor(target: AgentCoreTarget): RegionClients {
    const region = parseRuntimeArn(target.agentRuntimeArn)!.region;
    const { identity, regions } = this.byIdentity.for(target.identity);
    let clients = regions.get(region);
    if (!clients) {
      const common = this.common(region, identity);
      const timed = { maxAttempts: 3, requestHandler: { requestTimeout: this.callTimeoutMs } };
      clients = {
        invoke: new BedrockAgentCoreClient({ ...common, maxAttempts: 1 }),
        stop: new BedrockAgentCoreClient({ ...common, ...timed }),
        control: new BedrockAgentCoreControlClient({ ...common, ...timed }),
      };
      regions.set(region, clients);
    }
    return clients;
  }

  private common(region: string, identity: AwsIdentity | undefined) {
    // The emulator holds no AWS account (and serves no STS): it gets its static test credentials whatever the identity.
    if (this.connection.kind === 'emulator') return { region, endpoint: this.connection.endpoint, credentials: emulatorCredentials };
    // STS in the target's region; the three clients of an identity and region share one credentials provider.
    return identity ? { region, credentials: assumedRoleCredentials(identity, region, this.connection.stsEndpoint) } : { region };
  }
}
