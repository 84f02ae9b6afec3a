import type { Transaction } from '#libs/persistence';
import type { ProviderId } from '#libs/runtime-spec';

export interface Agent {
  id: string;
  tenantId: string;
  name: string;
  description: string | null;
  instructions: string | null;
  defaultProvider: ProviderId;
  targets: Partial<Record<ProviderId, unknown>>;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgentRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  instructions: string | null;
  default_provider: ProviderId;
  targets: Partial<Record<ProviderId, unknown>>;
  created_at: Date;
  updated_at: Date;
}

export const agentColumns = 'id, tenant_id, name, description, instructions, default_provider, targets, created_at, updated_at';

export const toAgent = (row: AgentRow): Agent => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  description: row.description,
  instructions: row.instructions,
  defaultProvider: row.default_provider,
  targets: row.targets,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Agents of the transaction's tenant (RLS); deleted agents are invisible here. */
export class AgentRepository {
  constructor(private readonly tx: Transaction) {}

  async insert(agent: Omit<Agent, 'createdAt' | 'updatedAt'>): Promise<Agent> {
    const [row] = await this.tx.rows<AgentRow>(
      `INSERT INTO agents (id, tenant_id, name, description, instructions, default_provider, targets)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${agentColumns}`,
      [agent.id, agent.tenantId, agent.name, agent.description, agent.instructions, agent.defaultProvider, JSON.stringify(agent.targets)],
    );
    return toAgent(row);
  }

  async findById(id: string): Promise<Agent | undefined> {
    const rows = await this.tx.rows<AgentRow>(`SELECT ${agentColumns} FROM agents WHERE id = $1 AND deleted_at IS NULL`, [id]);
    return rows[0] && toAgent(rows[0]);
  }

  /** `reference` is an agent id or a name. */
  async findByReference(reference: string): Promise<Agent | undefined> {
    const rows = await this.tx.rows<AgentRow>(
      `SELECT ${agentColumns} FROM agents WHERE (id = $1 OR name = $1) AND deleted_at IS NULL ORDER BY (id = $1) DESC LIMIT 1`,
      [reference],
    );
    return rows[0] && toAgent(rows[0]);
  }

  async listAfter(afterId: string | null, limit: number): Promise<Agent[]> {
    const rows = await this.tx.rows<AgentRow>(
      `SELECT ${agentColumns} FROM agents WHERE deleted_at IS NULL AND ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [afterId, limit + 1],
    );
    return rows.map(toAgent);
  }

  async update(agent: Agent): Promise<Agent> {
    const rows = await this.tx.rows<AgentRow>(
      `UPDATE agents SET name = $2, description = $3, instructions = $4, default_provider = $5, targets = $6, updated_at = now()
       WHERE id = $1 AND deleted_at IS NULL RETURNING ${agentColumns}`,
      [agent.id, agent.name, agent.description, agent.instructions, agent.defaultProvider, JSON.stringify(agent.targets)],
    );
    return toAgent(rows[0]);
  }

  async markDeleted(id: string): Promise<void> {
    await this.tx.rows(`UPDATE agents SET deleted_at = now() WHERE id = $1`, [id]);
  }

  /** Holds off a delete of the agent for the rest of the transaction (session create; several may hold it at once). */
  async lockShared(id: string): Promise<void> {
    await this.tx.rows(`SELECT id FROM agents WHERE id = $1 FOR SHARE`, [id]);
  }

  /** Locks the agent row for the rest of the transaction (delete vs concurrent session create). */
  async lock(id: string): Promise<void> {
    await this.tx.rows(`SELECT id FROM agents WHERE id = $1 FOR UPDATE`, [id]);
  }

  async countLiveSessions(id: string): Promise<number> {
    const [row] = await this.tx.rows<{ count: string }>(`SELECT count(*) AS count FROM sessions WHERE agent_id = $1 AND status <> 'terminated'`, [id]);
    return Number(row.count);
  }
}
