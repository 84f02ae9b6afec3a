import type { z } from 'zod';
import type { EmulatorClock } from '#libs/emulator-kit';
import { notFound } from './api-errors.js';
import { newClaudeId } from './claude-ids.js';
import type { createAgentBody, createEnvironmentBody, createSessionBody } from './wire-schemas.js';

type SessionAgentReference = z.infer<typeof createSessionBody>['agent'];

/** A `BetaEnvironment` as the API returns it. */
export interface EnvironmentObject {
  id: string;
  type: 'environment';
  name: string;
  description: string | null;
  config: unknown;
  metadata: Record<string, string>;
  scope: 'organization' | 'account';
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A `BetaManagedAgentsAgent` as the API returns it. */
export interface AgentObject {
  id: string;
  type: 'agent';
  version: number;
  name: string;
  description: string | null;
  model: unknown;
  system: string | null;
  tools: unknown[];
  mcp_servers: unknown[];
  skills: unknown[];
  multiagent: unknown;
  metadata: Record<string, string>;
  execution_identity: { type: 'service_account' };
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The agent as a session carries it (`BetaManagedAgentsSessionAgent`): the definition without its own lifecycle fields. */
export type SessionAgentSnapshot = Omit<AgentObject, 'metadata' | 'archived_at' | 'created_at' | 'updated_at'>;

/** Environments and agents: the setup a client does once before it opens sessions. */
export class SetupRegistry {
  private readonly environments = new Map<string, EnvironmentObject>();
  private readonly agents = new Map<string, AgentObject>();

  constructor(private readonly clock: EmulatorClock) {}

  createEnvironment(body: z.infer<typeof createEnvironmentBody>, id = newClaudeId('env')): EnvironmentObject {
    const now = this.clock.nowIso();
    const environment: EnvironmentObject = {
      id,
      type: 'environment',
      name: body.name,
      description: body.description ?? null,
      config: body.config ?? { type: 'cloud', networking: { type: 'unrestricted' } },
      metadata: body.metadata ?? {},
      scope: body.scope ?? 'organization',
      archived_at: null,
      created_at: now,
      updated_at: now,
    };
    this.environments.set(environment.id, environment);
    return environment;
  }

  /** The `environment_not_found` code makes the SDK throw its `BetaEnvironmentNotFoundError`. */
  environment(id: string): EnvironmentObject {
    const environment = this.environments.get(id);
    if (!environment) throw notFound('environment', id, { error_code: 'environment_not_found' });
    return environment;
  }

  createAgent(body: z.infer<typeof createAgentBody>, id = newClaudeId('agent')): AgentObject {
    const now = this.clock.nowIso();
    const agent: AgentObject = {
      id,
      type: 'agent',
      version: 1,
      name: body.name,
      description: body.description ?? null,
      model: modelConfig(body.model),
      system: body.system ?? null,
      tools: body.tools ?? [],
      mcp_servers: body.mcp_servers ?? [],
      skills: body.skills ?? [],
      multiagent: body.multiagent ?? null,
      metadata: body.metadata ?? {},
      execution_identity: { type: 'service_account' },
      archived_at: null,
      created_at: now,
      updated_at: now,
    };
    this.agents.set(agent.id, agent);
    return agent;
  }

  agent(id: string): AgentObject {
    const agent = this.agents.get(id);
    if (!agent) throw notFound('agent', id);
    return agent;
  }

  /** The snapshot a new session freezes: the named agent, with any per-session overrides laid over it. */
  snapshotFor(reference: SessionAgentReference): SessionAgentSnapshot {
    const agent = this.agent(typeof reference === 'string' ? reference : reference.id);
    const snapshot: SessionAgentSnapshot = {
      id: agent.id,
      type: agent.type,
      version: agent.version,
      name: agent.name,
      description: agent.description,
      model: agent.model,
      system: agent.system,
      tools: agent.tools,
      mcp_servers: agent.mcp_servers,
      skills: agent.skills,
      multiagent: agent.multiagent,
      execution_identity: agent.execution_identity,
    };
    if (typeof reference === 'string' || reference.type !== 'agent_with_overrides') return snapshot;
    const overrides = Object.entries(reference).filter(([key, value]) => overridable.has(key) && value !== undefined);
    const merged = { ...snapshot, ...Object.fromEntries(overrides) };
    return { ...merged, model: modelConfig(merged.model) };
  }
}

const overridable = new Set(['model', 'system', 'tools', 'mcp_servers', 'skills']);

/** The API answers a model given by name with its config object. */
const modelConfig = (model: unknown) => (typeof model === 'string' ? { id: model } : model);
