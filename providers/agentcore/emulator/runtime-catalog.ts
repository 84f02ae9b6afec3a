import { AgentCoreApiError, fieldInvalid, notFound } from './api-errors.js';

/** The runtime ARN shape the service validates (`runtime/<name>-<10 chars>`). */
const arnPattern = /^arn:aws(?:-cn|-us-gov)?:bedrock-agentcore:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:runtime\/([a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10})$/;
const qualifierPattern = /^[a-zA-Z][a-zA-Z0-9_]{0,47}$/;

export const emulatorRegion = 'us-east-1';
export const emulatorAccount = '123456789012';

/** What the emulated agent container writes: the two codecs the adapter ships. */
export type AgentDialect = 'strands' | 'text';

export interface EmulatedRuntime {
  arn: string;
  runtimeId: string;
  name: string;
  dialect: AgentDialect;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
  /** Endpoint names the runtime answers on. */
  endpoints: ReadonlySet<string>;
  createdAt: number;
  /** What GetAgentRuntime reports (the control plane's AgentRuntimeStatus). */
  status: string;
}

export interface RuntimeSpec {
  name: string;
  dialect: AgentDialect;
  /** Fixed suffix (10 alphanumerics) for ids that must survive restarts; random otherwise. */
  suffix?: string;
  idleTimeoutSeconds?: number;
  maxLifetimeSeconds?: number;
  /** GetAgentRuntime's status, READY unless a test needs a runtime that is CREATING, CREATE_FAILED... */
  status?: string;
}

/** The runtimes (agent containers) deployed in the emulated account. */
export class RuntimeCatalog {
  private readonly runtimes = new Map<string, EmulatedRuntime>();

  constructor(private readonly now: () => number) {}

  add(spec: RuntimeSpec): EmulatedRuntime {
    const suffix = spec.suffix ?? randomSuffix();
    const runtimeId = `${spec.name}-${suffix}`;
    const arn = `arn:aws:bedrock-agentcore:${emulatorRegion}:${emulatorAccount}:runtime/${runtimeId}`;
    if (!arnPattern.test(arn)) throw new Error(`not a valid runtime name or suffix: ${runtimeId}`);
    const runtime: EmulatedRuntime = {
      arn,
      runtimeId,
      name: spec.name,
      dialect: spec.dialect,
      idleTimeoutSeconds: spec.idleTimeoutSeconds ?? 900,
      maxLifetimeSeconds: spec.maxLifetimeSeconds ?? 28_800,
      endpoints: new Set(['DEFAULT']),
      createdAt: this.now(),
      status: spec.status ?? 'READY',
    };
    this.runtimes.set(arn, runtime);
    return runtime;
  }

  /**
   * The runtime a data-plane path names: a percent-encoded ARN, or a bare
   * runtime id with `accountId`, as the service accepts. Malformed → 400,
   * unknown runtime or endpoint → 404.
   */
  resolve(identifier: string, query: URLSearchParams): { runtime: EmulatedRuntime; qualifier: string } {
    const accountId = query.get('accountId');
    const arn = identifier.startsWith('arn:') ? identifier : accountId ? `arn:aws:bedrock-agentcore:${emulatorRegion}:${accountId}:runtime/${identifier}` : identifier;
    if (!arnPattern.test(arn)) throw fieldInvalid('agentRuntimeArn', 'must be a runtime ARN, or a runtime id with accountId');
    const qualifier = query.get('qualifier') ?? 'DEFAULT';
    if (!qualifierPattern.test(qualifier)) throw fieldInvalid('qualifier', `must satisfy regular expression pattern: ${qualifierPattern.source}`);
    const runtime = this.runtimes.get(arn);
    if (!runtime) throw notFound(`Runtime not found: ${arn}`);
    if (!runtime.endpoints.has(qualifier)) throw notFound(`Runtime endpoint ${qualifier} not found for ${runtime.runtimeId}`);
    return { runtime, qualifier };
  }

  /** The control plane names runtimes by id. */
  byId(runtimeId: string): EmulatedRuntime {
    const runtime = [...this.runtimes.values()].find((candidate) => candidate.runtimeId === runtimeId);
    if (!runtime) throw new AgentCoreApiError(404, `Runtime ${runtimeId} not found`);
    return runtime;
  }
}

function randomSuffix(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 10 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}
