import type { EmulatorClock } from '#libs/emulator-kit';
import { FoundryApiError } from './api-errors.js';
import { unixSeconds } from './emulator-ids.js';

/** A stored agent version, as `AgentVersion` on the wire (`object: "agent.version"`). */
export interface VersionRecord {
  project: string;
  name: string;
  version: string;
  description: string | null;
  metadata: Record<string, string>;
  createdAtMs: number;
  /** The definition as the client sent it (`kind`, `cpu`, `memory`, `session_configuration`...). */
  definition: Record<string, unknown>;
}

/** What the emulator needs to know of a version to run its sessions. */
export interface HostedProfile {
  idleTimeoutSeconds: number;
}

export const defaultIdleTimeoutSeconds = 900;

/**
 * Agent versions per project. Versions are numbered per agent from "1" and,
 * as on the service, never change once created. Every version is `active`
 * at once: the emulator has no container to provision.
 */
export class AgentRegistry {
  private readonly versions = new Map<string, VersionRecord[]>();

  constructor(private readonly clock: EmulatorClock) {}

  create(project: string, name: string, input: { definition: Record<string, unknown>; description?: string | null; metadata?: Record<string, string> }): VersionRecord {
    const list = this.versions.get(key(project, name)) ?? [];
    const record: VersionRecord = {
      project,
      name,
      version: String(list.length + 1),
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      createdAtMs: this.clock.now(),
      definition: input.definition,
    };
    list.push(record);
    this.versions.set(key(project, name), list);
    return record;
  }

  find(project: string, name: string, version: string): VersionRecord {
    const record = this.versions.get(key(project, name))?.find((candidate) => candidate.version === version);
    if (!record) throw new FoundryApiError(404, 'agent_version_not_found', `agent '${name}' has no version '${version}'`);
    return record;
  }

  /** The newest version of an agent, which sessions the service auto-creates run. */
  latest(project: string, name: string): VersionRecord | undefined {
    return this.versions.get(key(project, name))?.at(-1);
  }

  /** The hosted settings of a version; only hosted agents have sessions. */
  hostedProfile(record: VersionRecord): HostedProfile {
    if (record.definition.kind !== 'hosted') {
      throw new FoundryApiError(400, 'invalid_request', `agent '${record.name}' version ${record.version} is not a hosted agent`);
    }
    const configuration = record.definition.session_configuration as { idle_timeout_seconds?: unknown } | undefined;
    const idle = configuration?.idle_timeout_seconds;
    return { idleTimeoutSeconds: typeof idle === 'number' && idle > 0 ? idle : defaultIdleTimeoutSeconds };
  }

  view(record: VersionRecord) {
    return {
      object: 'agent.version',
      id: `${record.name}:${record.version}`,
      name: record.name,
      version: record.version,
      description: record.description,
      metadata: record.metadata,
      created_at: unixSeconds(record.createdAtMs),
      definition: record.definition,
      status: 'active',
    };
  }
}

const key = (project: string, name: string) => `${project}/${name}`;
