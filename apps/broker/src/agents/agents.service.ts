import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError, conflict, invalidRequest, notFound, type FieldProblem } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database, type Transaction } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { isUniqueViolation } from '../database/sql-errors.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { currentTenantPrincipal } from '../identity/principal.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { TargetAccess } from '../target-grants/target-access.js';
import { AgentRepository, type Agent } from './agent.repository.js';
import type { AgentTargets, AgentView, CreateAgentBody, UpdateAgentBody } from './agent.schemas.js';
import { targetIdentityProblems } from './target-identities.js';

export const toAgentView = (agent: Agent): AgentView => ({
  id: agent.id,
  name: agent.name,
  description: agent.description,
  instructions: agent.instructions,
  defaultProvider: agent.defaultProvider,
  targets: agent.targets,
  createdAt: agent.createdAt.toISOString(),
  updatedAt: agent.updatedAt.toISOString(),
});

/** Portable agent definitions of the caller's tenant (API.md §3). */
@Injectable()
export class AgentsService {
  constructor(
    private readonly database: Database,
    private readonly registry: RuntimeRegistry,
    private readonly access: TargetAccess,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  async create(body: CreateAgentBody): Promise<AgentView> {
    this.checkTargets(body.targets);
    const { tenantId } = currentTenantPrincipal();
    const outcome = await this.writing(body.name, () =>
      this.database.inTenant(tenantId, async (tx) => {
        const refused = await this.access.refusal(tx, { tenantId, path: 'body.targets', targets: body.targets, action: 'create_agent' });
        if (refused) return refused;
        const agent = await new AgentRepository(tx).insert({
          id: newId('agt'),
          tenantId,
          name: body.name,
          description: body.description ?? null,
          instructions: body.instructions ?? null,
          defaultProvider: body.defaultProvider,
          targets: body.targets,
        });
        await appendAuditEvent(tx, tenantId, { type: 'agent.changed', detail: { action: 'created', agentId: agent.id, name: agent.name } });
        return toAgentView(agent);
      }),
    );
    // Thrown after the commit, so the refusal's audit record stays.
    if (outcome instanceof AppError) throw outcome;
    return outcome;
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<AgentView>> {
    const { tenantId } = currentTenantPrincipal();
    const rows = await this.database.inTenant(tenantId, (tx) => new AgentRepository(tx).listAfter(decodeCursor(cursor), limit));
    const page = pageFromRows(rows, limit);
    return { data: page.data.map(toAgentView), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<AgentView> {
    const { tenantId } = currentTenantPrincipal();
    const agent = await this.database.inTenant(tenantId, (tx) => findOwnAgent(tx, tenantId, id, 'get'));
    if (!agent) throw notFound('agent');
    return toAgentView(agent);
  }

  async update(id: string, body: UpdateAgentBody): Promise<AgentView> {
    if (body.targets) this.checkTargets(body.targets);
    const { tenantId } = currentTenantPrincipal();
    const updated = await this.writing(body.name ?? '', () =>
      this.database.inTenant(tenantId, async (tx) => {
        const agents = new AgentRepository(tx);
        const current = await findOwnAgent(tx, tenantId, id, 'update');
        if (!current) return undefined;
        if (body.targets) {
          const refused = await this.access.refusal(tx, { tenantId, path: 'body.targets', targets: body.targets, action: 'update_agent', agentId: id });
          if (refused) return refused;
        }
        const next: Agent = {
          ...current,
          name: body.name ?? current.name,
          description: body.description === undefined ? current.description : body.description,
          instructions: body.instructions === undefined ? current.instructions : body.instructions,
          defaultProvider: body.defaultProvider ?? current.defaultProvider,
          targets: body.targets ?? current.targets,
        };
        if (!next.targets[next.defaultProvider]) {
          throw invalidRequest('the default provider needs a target', [{ path: 'body.defaultProvider', message: 'the default provider needs a target' }]);
        }
        const updated = await agents.update(next);
        await appendAuditEvent(tx, tenantId, {
          type: 'agent.changed',
          detail: { action: 'updated', agentId: id, name: updated.name, fields: Object.keys(body).sort() },
        });
        return toAgentView(updated);
      }),
    );
    if (!updated) throw notFound('agent');
    if (updated instanceof AppError) throw updated;
    return updated;
  }

  /** 409 while the agent has live sessions; ended sessions keep their history. */
  async remove(id: string): Promise<void> {
    const { tenantId } = currentTenantPrincipal();
    const found = await this.database.inTenant(tenantId, async (tx) => {
      const agents = new AgentRepository(tx);
      const agent = await findOwnAgent(tx, tenantId, id, 'delete');
      if (!agent) return false;
      await agents.lock(id);
      const live = await agents.countLiveSessions(id);
      if (live > 0) throw conflict('agent_in_use', `the agent has ${live} live session${live === 1 ? '' : 's'}`);
      await agents.markDeleted(id);
      await appendAuditEvent(tx, tenantId, { type: 'agent.changed', detail: { action: 'deleted', agentId: id, name: agent.name } });
      return true;
    });
    if (!found) throw notFound('agent');
  }

  /** Every target must be for a runtime this broker has registered, and name only identities it holds. */
  private checkTargets(targets: AgentTargets): void {
    const problems: FieldProblem[] = Object.keys(targets)
      .filter((provider) => !this.registry.get(provider))
      .map((provider) => ({ path: `body.targets.${provider}`, message: `the ${provider} runtime is not registered on this broker` }));
    if (problems.length > 0) throw invalidRequest('unknown runtime', problems);
    const identityProblems = targetIdentityProblems(this.config.identities, targets, 'body.targets');
    if (identityProblems.length > 0) throw invalidRequest('unknown identity', identityProblems);
  }

  private async writing<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('name_taken', `an agent named "${name}" already exists`);
      throw error;
    }
  }
}

/** The tenant's agent, or undefined after recording the denied lookup (another tenant's agent does not exist here). */
export async function findOwnAgent(tx: Transaction, tenantId: string, id: string, action: string): Promise<Agent | undefined> {
  const agent = await new AgentRepository(tx).findById(id);
  if (!agent) await appendAuditEvent(tx, tenantId, { type: 'access.denied', detail: { resource: 'agent', id, action } });
  return agent;
}
