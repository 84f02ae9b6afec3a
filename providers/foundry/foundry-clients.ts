import { Agent } from 'node:https';
import { AIProjectClient } from '@azure/ai-projects';
import type { TokenCredential } from '@azure/identity';
import type { PerIdentity } from '#libs/provider-kit';
import type OpenAI from 'openai';
import { RuntimeError } from '#libs/runtime-spec';
import { fetchThroughAgent } from './emulator-transport.js';
import { projectEndpointPattern } from './foundry-target.js';

/** Where emulated mode really sends a project's calls, and the CA that vouches for it. */
export interface EmulatorRoute {
  /** The emulator's origin (`https://127.0.0.1:<port>`). */
  url: string;
  /** PEM of the emulator's CA, trusted by these clients only. */
  caCertificate: string;
}

/**
 * The SDK clients for each identity, project endpoint and agent, made once
 * and reused: a target naming no identity calls with the platform
 * credential, one naming an identity with that identity's.
 *
 * Both halves keep the SDKs' real machinery. `agents.*` runs on Azure core's
 * pipeline with its retry policy (safe: every call the adapter makes there is
 * idempotent) and its bearer-token policy, which only sends tokens over
 * https. The `openai` client comes from `project.getOpenAIClient` (base URL
 * `…/agents/<name>/endpoint/protocols/openai`, `api-version=v1`, token
 * provider); the adapter turns its retries off per call where a retry could
 * resubmit a turn.
 *
 * Emulated: every project endpoint is sent to the emulator with its path kept
 * (`https://any-host/api/projects/demo` → `<emulator>/api/projects/demo`), so
 * targets with fixed endpoints survive the emulator's new port on each start.
 * TLS stays on and verified: Azure core gets an `https.Agent` that trusts the
 * emulator's CA (the documented `agent` pipeline option) and the `openai`
 * client a `fetch` over the same agent. Nothing process-wide changes.
 */
export class FoundryClients {
  private readonly projects = new Map<string, AIProjectClient>();
  private readonly openaiClients = new Map<string, OpenAI>();
  private readonly agent: Agent | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly emulator?: EmulatorRoute,
    private readonly identityCredentials?: PerIdentity<'azure', TokenCredential>,
  ) {
    this.agent = emulator ? new Agent({ ca: emulator.caCertificate, keepAlive: true }) : undefined;
  }

  /** The URL the SDK really calls for a target's project endpoint. */
  endpointFor(projectEndpoint: string): string {
    if (!this.emulator) return projectEndpoint;
    return new URL(new URL(projectEndpoint).pathname, this.emulator.url).href.replace(/\/+$/, '');
  }

  project(projectEndpoint: string, identity: string | undefined): AIProjectClient {
    const key = `${identity ?? ''} ${projectEndpoint}`;
    let client = this.projects.get(key);
    if (!client) {
      // The last gate before the credential: a session stored before endpoints were checked (or any
      // other path to here) must not hand the platform's token to another host.
      if (!projectEndpointPattern.test(projectEndpoint)) {
        throw new RuntimeError('invalid_target', 'the target is not a Foundry project endpoint (https://<resource>.services.ai.azure.com/api/projects/<project>)', { turnAccepted: false });
      }
      const credential = identity === undefined || !this.identityCredentials ? this.credential : this.identityCredentials.for(identity);
      client = new AIProjectClient(this.endpointFor(projectEndpoint), credential, {
        retryOptions: { maxRetries: 2 },
        ...(this.agent ? { agent: this.agent } : {}),
      });
      this.projects.set(key, client);
    }
    return client;
  }

  /** The agent endpoint's OpenAI-protocol client; `maxRetries` is its default for calls that do not set their own. */
  openai(projectEndpoint: string, agentName: string, identity: string | undefined): OpenAI {
    const key = `${identity ?? ''} ${projectEndpoint}#${agentName}`;
    let client = this.openaiClients.get(key);
    if (!client) {
      client = this.project(projectEndpoint, identity).getOpenAIClient({ azureConfig: { agentName, allowPreview: true }, maxRetries: 2 });
      // getOpenAIClient installs its own fetch (ignoring one passed in), so the emulator's goes in afterwards.
      if (this.agent) client = client.withOptions({ fetch: fetchThroughAgent(this.agent) });
      this.openaiClients.set(key, client);
    }
    return client;
  }

  close(): void {
    this.agent?.destroy();
  }
}
