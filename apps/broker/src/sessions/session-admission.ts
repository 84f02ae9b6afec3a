import { hotStatement, type Transaction } from '#libs/persistence';
import { agentColumns, toAgent, type Agent, type AgentRow } from '../agents/agent.repository.js';
import { chainHeadOf, lockChainHeadStatement, type ChainHead, type ChainHeadColumns } from '../audit/audit-log.js';
import type { SessionAdmissionState, StoredPolicy } from '../limits/limits.repository.js';

/**
 * The agents creates name (`$1`, references), locked FOR SHARE in id order:
 * a concurrent delete waits until the sessions are recorded.
 */
const lockAgentsStatement = hotStatement(
  'lock_agents_for_sessions',
  `SELECT id FROM agents WHERE (id = ANY($1::text[]) OR name = ANY($1::text[])) AND deleted_at IS NULL ORDER BY id FOR SHARE`,
);

/**
 * Read after the agents and the chain head were locked, by a statement of
 * its own (a fresh READ COMMITTED snapshot: it sees everything the previous
 * holder of the head committed; a statement that waited for the lock itself
 * would read from before). Each reference's agent is locked again here, a
 * no-op for rows already held: should a rename between the two statements
 * make a reference name another row, that row is locked too.
 */
const admissionStatement = hotStatement(
  'read_session_admissions',
  `SELECT h.last_seq AS audit_last_seq, h.last_hash AS audit_last_hash, h.last_at AS audit_last_at,
     (SELECT policy FROM tenant_limits) AS tenant_policy,
     (SELECT count(*) FROM sessions WHERE tenant_id = $3 AND status <> 'terminated') AS tenant_live,
     EXISTS (SELECT 1 FROM webhooks WHERE tenant_id = $3 AND status IN ('active', 'paused')) AS webhooks,
     (SELECT coalesce(jsonb_agg(jsonb_build_object('provider', provider, 'scope', kind || ':' || value)), '[]'::jsonb)
      FROM target_grants WHERE tenant_id = $3) AS grants,
     (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'user', u.id,
        'policy', (SELECT policy FROM user_limits WHERE user_id = u.id),
        'live', (SELECT count(*) FROM sessions WHERE tenant_id = $3 AND user_id = u.id AND status <> 'terminated'),
        'creates', (SELECT count FROM rate_windows WHERE tenant_id = $3 AND user_id = u.id AND kind = 'session_create'
                      AND window_start = date_trunc('minute', now())))), '[]'::jsonb)
      FROM unnest($2::text[]) AS u(id)) AS users,
     (SELECT coalesce(jsonb_agg(jsonb_build_object('reference', r.reference, 'agent', to_jsonb(agent))), '[]'::jsonb)
      FROM unnest($1::text[]) AS r(reference)
      CROSS JOIN LATERAL (
        SELECT ${agentColumns} FROM agents WHERE (id = r.reference OR name = r.reference) AND deleted_at IS NULL
        ORDER BY (id = r.reference) DESC LIMIT 1 FOR SHARE
      ) agent) AS agents
   FROM audit_chain_heads h WHERE h.tenant_id = $3`,
);

interface AdmissionRow extends ChainHeadColumns {
  tenant_policy: StoredPolicy | null;
  tenant_live: string;
  webhooks: boolean;
  grants: Array<{ provider: string; scope: string }>;
  users: Array<{ user: string; policy: StoredPolicy | null; live: number; creates: number | null }>;
  agents: Array<{ reference: string; agent: AgentRow & { created_at: string; updated_at: string } }>;
}

/** What session creates of one tenant decide on, read under the tenant's audit chain head (held to COMMIT). */
export interface SessionAdmissions {
  /** The agent each reference names (locked FOR SHARE); absent when there is none. */
  agents: Map<string, Agent>;
  /** Where the creates' audit records link on. */
  auditHead: ChainHead;
  /** Whether the tenant has webhooks that records may queue deliveries for (to wake the dispatcher after COMMIT). */
  webhooks: boolean;
  /** The limits state of each user, as {@link SessionAdmissionState}; the caller counts its own admissions in. */
  limitsOf(userId: string): SessionAdmissionState;
  /** The target scopes granted to the tenant on `provider` (`kind:value`), read with the rest: no round trip per create. */
  readonly grantedScopes: (provider: string) => Set<string>;
}

/**
 * The start of session creates of one tenant, in one round trip (with the
 * transaction's opening when it is pipelined): the agents locked, then the
 * tenant's audit chain head, then both read with the limits' counts of
 * every user and the tenant's target grants. Holding the head serialises
 * the tenant's creates on every replica (each create appends to the chain),
 * so the counts stay exact until the creates commit, one round trip later.
 */
export async function lockForSessionCreates(tx: Transaction, tenantId: string, userIds: string[], agentReferences: string[]): Promise<SessionAdmissions> {
  const references = [...new Set(agentReferences)].sort();
  tx.defer(lockAgentsStatement, [references]);
  tx.defer(lockChainHeadStatement, [tenantId]);
  const [row] = await tx.hot<AdmissionRow>(admissionStatement, [references, [...new Set(userIds)], tenantId]);
  const agents = new Map(
    row.agents.map(({ reference, agent }) => [reference, toAgent({ ...agent, created_at: new Date(agent.created_at), updated_at: new Date(agent.updated_at) })]),
  );
  const users = new Map(row.users.map((user) => [user.user, user]));
  const tenantPolicy = row.tenant_policy ?? {};
  const tenantLive = Number(row.tenant_live);
  const granted = new Map<string, Set<string>>();
  for (const { provider, scope } of row.grants) {
    if (!granted.has(provider)) granted.set(provider, new Set());
    granted.get(provider)!.add(scope);
  }
  return {
    agents,
    auditHead: chainHeadOf(row),
    webhooks: row.webhooks,
    limitsOf: (userId) => {
      const user = users.get(userId);
      return {
        policies: { tenant: tenantPolicy, user: user?.policy ?? {} },
        liveForUser: Number(user?.live ?? 0),
        liveInTenant: tenantLive,
        createsThisMinute: user?.creates ?? 0,
      };
    },
    grantedScopes: (provider) => granted.get(provider) ?? new Set(),
  };
}
