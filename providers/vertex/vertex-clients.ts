import { credentials } from '@grpc/grpc-js';
// The three clients' own modules, not the package index: the index loads all ~70 clients of v1 and
// v1beta1 and the 16 MB static protos (~70 MiB RSS and ~0.9 s at start; issue 17 item 7).
import { ReasoningEngineExecutionServiceClient } from '@google-cloud/aiplatform/build/src/v1/reasoning_engine_execution_service_client.js';
import { ReasoningEngineServiceClient } from '@google-cloud/aiplatform/build/src/v1/reasoning_engine_service_client.js';
import { SessionServiceClient } from '@google-cloud/aiplatform/build/src/v1/session_service_client.js';
import type { GoogleAuth } from 'google-auth-library';
import type { PerIdentity } from '#libs/provider-kit';

/** Where the SDK clients connect. */
export type VertexEndpoint =
  /** The regional endpoint of each engine, with Application Default Credentials. */
  | { kind: 'live' }
  /** A plaintext gRPC server on loopback (the emulator): no TLS, no token, no metadata server. */
  | { kind: 'emulator'; host: string; port: number };

export interface VertexConnection {
  sessions: SessionServiceClient;
  executions: ReasoningEngineExecutionServiceClient;
  /** The control plane: read-only here (GetReasoningEngine, for target checks). */
  engines: ReasoningEngineServiceClient;
}

export interface VertexClientOptions {
  endpoint: VertexEndpoint;
  /**
   * Replaces the SDK's default deadline (30 s, from gax `CallSettings`: the
   * method configs carry no `timeout_millis`) for every call that does not pass
   * its own `timeout`. The adapter passes one on every call, so this only
   * shows up when a call forgets to: the emulated runtime compresses it so
   * such a bug fails in seconds instead of after 30.
   */
  sdkDefaultDeadlineMs?: number;
  /**
   * Live: the auth of each configured identity a target names (impersonated
   * service accounts); ADC for targets naming none. Ignored against the
   * emulator, which takes no token.
   */
  identityAuth?: PerIdentity<'google', GoogleAuth | undefined>;
}

const executionService = 'google.cloud.aiplatform.v1.ReasoningEngineExecutionService';
const sessionService = 'google.cloud.aiplatform.v1.SessionService';
const engineService = 'google.cloud.aiplatform.v1.ReasoningEngineService';
const methods = {
  [engineService]: ['GetReasoningEngine'],
  [executionService]: ['QueryReasoningEngine', 'StreamQueryReasoningEngine', 'AsyncQueryReasoningEngine', 'CancelAsyncQueryReasoningEngine'],
  [sessionService]: ['CreateSession', 'GetSession', 'ListSessions', 'UpdateSession', 'DeleteSession', 'ListEvents', 'AppendEvent'],
};

/**
 * Call options for `streamQueryReasoningEngine` that make a turn run at most
 * once. By default gax wraps a server stream in `retry-request`, which
 * silently re-sends the request after ANY error that arrives before response
 * metadata (`noResponseRetries: 2`, whatever the status), so a throttled turn
 * could run twice. Zero retries of either kind turns that off.
 *
 * The documented alternative, `gaxServerStreamingRetries: true` (status-code
 * retries, none configured for this method), is not usable in google-gax
 * 6.17: in that mode `cancel()` is a no-op (it calls grpc-js' `cancel` unbound)
 * and messages never reach the readable side `for await` reads.
 */
export const turnStreamCallOptions = { retryRequestOptions: { retries: 0, noResponseRetries: 0 } } as const;

/** The `@google-cloud/aiplatform` gRPC clients, one set per identity and region (live) or one set for the emulator. */
export class VertexClients {
  private readonly byLocation = new Map<string, VertexConnection>();

  constructor(private readonly options: VertexClientOptions) {}

  forLocation(location: string, identity?: string): VertexConnection {
    // Unknown identities are refused before anything is built, emulated or live.
    const auth = identity === undefined ? undefined : this.options.identityAuth?.for(identity);
    const key = this.options.endpoint.kind === 'live' ? `${identity ?? ''} ${location}` : 'emulator';
    let connection = this.byLocation.get(key);
    if (!connection) {
      const common = { ...this.endpointOptions(location), ...this.deadlineOverride(), ...(auth && this.options.endpoint.kind === 'live' ? { auth } : {}) };
      connection = {
        sessions: new SessionServiceClient(common),
        executions: new ReasoningEngineExecutionServiceClient(common),
        engines: new ReasoningEngineServiceClient(common),
      };
      this.byLocation.set(key, connection);
    }
    return connection;
  }

  async close(): Promise<void> {
    const connections = [...this.byLocation.values()];
    this.byLocation.clear();
    await Promise.allSettled(connections.flatMap((connection) => [connection.sessions.close(), connection.executions.close(), connection.engines.close()]));
  }

  private endpointOptions(location: string) {
    const endpoint = this.options.endpoint;
    if (endpoint.kind === 'live') return { apiEndpoint: `${location}-aiplatform.googleapis.com` };
    // `sslCreds` replaces gax's TLS + Google call credentials, so no token is
    // ever fetched or sent. A fixed universe domain stops GoogleAuth from
    // asking ADC (and, without ADC, the GCE metadata server) for one, which is
    // all a static `authClient` would be there for.
    return { apiEndpoint: endpoint.host, port: endpoint.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' };
  }

  private deadlineOverride() {
    const timeout = this.options.sdkDefaultDeadlineMs;
    if (timeout === undefined) return {};
    const interfaces = Object.fromEntries(
      Object.entries(methods).map(([service, names]) => [service, { methods: Object.fromEntries(names.map((name) => [name, { timeout_millis: timeout }])) }]),
    );
    return { clientConfig: { interfaces } };
  }
}
