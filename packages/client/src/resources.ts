import type * as Api from './api-types.js';
import { Paginated, type Page } from './pagination.js';
import { route, type CallOptions, type QueryValue, type Transport } from './transport.js';
import { Turns } from './turns.js';

type Query = Record<string, QueryValue>;
type ListQuery<Q> = Omit<Q, 'cursor'>;

const paginated = <T>(transport: Transport, path: string, query: Query, call?: CallOptions) =>
  new Paginated<T>((cursor) => transport.json<Page<T>>({ method: 'GET', path, query: { ...query, cursor } }, call));

/** A streamed download (audit and cost exports): read `body` as it arrives. */
export interface Download {
  contentType: string;
  body: ReadableStream<Uint8Array>;
}

async function download(transport: Transport, path: string, query: Query, call?: CallOptions): Promise<Download> {
  const response = await transport.open({ method: 'GET', path, query, accept: '*/*' }, call);
  if (!response.body) throw new Error(`${path} answered no body`);
  return { contentType: response.headers.get('content-type') ?? 'application/octet-stream', body: response.body };
}

/** Sessions of the calling end user (role app; API.md §4). */
export class Sessions {
  readonly turns: Turns;
  constructor(private readonly transport: Transport) {
    this.turns = new Turns(transport);
  }

  /** Opens a session; an Idempotency-Key is sent (yours or a new one), so a retry never opens two. */
  create(request: Api.CreateSessionRequest, call?: CallOptions): Promise<Api.Session> {
    return this.transport.json({ method: 'POST', path: '/v1/sessions', body: request, idempotent: true }, call);
  }
  get(id: string, call?: CallOptions): Promise<Api.Session> {
    return this.transport.json({ method: 'GET', path: route`/v1/sessions/${id}` }, call);
  }
  list(query: ListQuery<Api.ListSessionsQuery> = {}, call?: CallOptions): Paginated<Api.Session> {
    return paginated(this.transport, '/v1/sessions', query, call);
  }
  /** Terminates the session (idempotent): its view, `status: "terminated"`. */
  end(id: string, call?: CallOptions): Promise<Api.Session> {
    return this.transport.json({ method: 'DELETE', path: route`/v1/sessions/${id}` }, call);
  }
  /** The stored transcript (every type but `message.delta`), in seq order. */
  async events(id: string, query: { after?: number; limit?: number } = {}, call?: CallOptions): Promise<Api.StoredEvent[]> {
    return (await this.transport.json<{ data: Api.StoredEvent[] }>({ method: 'GET', path: route`/v1/sessions/${id}/events`, query }, call)).data;
  }
}

/** Agent definitions (role admin; API.md §3). */
export class Agents {
  constructor(private readonly transport: Transport) {}
  create(request: Api.CreateAgentRequest, call?: CallOptions): Promise<Api.Agent> {
    return this.transport.json({ method: 'POST', path: '/v1/agents', body: request }, call);
  }
  list(call?: CallOptions): Paginated<Api.Agent> {
    return paginated(this.transport, '/v1/agents', {}, call);
  }
  get(id: string, call?: CallOptions): Promise<Api.Agent> {
    return this.transport.json({ method: 'GET', path: route`/v1/agents/${id}` }, call);
  }
  update(id: string, changes: Api.UpdateAgentRequest, call?: CallOptions): Promise<Api.Agent> {
    return this.transport.json({ method: 'PATCH', path: route`/v1/agents/${id}`, body: changes }, call);
  }
  delete(id: string, call?: CallOptions): Promise<void> {
    return this.transport.json({ method: 'DELETE', path: route`/v1/agents/${id}` }, call);
  }
  /** Asks every target's runtime whether it exists and can serve. */
  check(id: string, call?: CallOptions): Promise<Api.AgentCheck> {
    return this.transport.json({ method: 'POST', path: route`/v1/agents/${id}/check` }, call);
  }
}

/** API keys (tenant admin: its own tenant; operator: any tenant via `tenant`). */
export class Keys {
  constructor(private readonly transport: Transport) {}
  /** The secret `key` is in this answer only. With `tenant`, as the operator. */
  create(request: Api.CreateApiKeyRequest, options: { tenant?: string } = {}, call?: CallOptions): Promise<Api.ApiKeyCreated> {
    const path = options.tenant ? route`/v1/tenants/${options.tenant}/api-keys` : '/v1/api-keys';
    return this.transport.json({ method: 'POST', path, body: request }, call);
  }
  list(query: { tenant?: string } = {}, call?: CallOptions): Paginated<Api.ApiKey> {
    return paginated(this.transport, '/v1/api-keys', query, call);
  }
  /** A new key (new id and secret); the old one works until the grace ends. */
  rotate(id: string, request: Api.RotateApiKeyRequest = {}, call?: CallOptions): Promise<Api.ApiKeyCreated> {
    return this.transport.json({ method: 'POST', path: route`/v1/api-keys/${id}/rotate`, body: request }, call);
  }
  revoke(id: string, call?: CallOptions): Promise<Api.RevokedApiKey> {
    return this.transport.json({ method: 'DELETE', path: route`/v1/api-keys/${id}` }, call);
  }
}

/** The tenant's policy (role admin; API.md §5). */
export class Limits {
  constructor(private readonly transport: Transport) {}
  get(call?: CallOptions): Promise<Api.Limits> {
    return this.transport.json({ method: 'GET', path: '/v1/limits' }, call);
  }
  /** Fields sent replace the current values, omitted ones stay, `null` removes a limit. */
  update(changes: Api.LimitsUpdate, call?: CallOptions): Promise<Api.Limits> {
    return this.transport.json({ method: 'PUT', path: '/v1/limits', body: changes }, call);
  }
  /** A user's effective policy and current usage. */
  getForUser(userId: string, call?: CallOptions): Promise<Api.UserLimits> {
    return this.transport.json({ method: 'GET', path: route`/v1/limits/users/${userId}` }, call);
  }
  updateForUser(userId: string, changes: Api.UserLimitsUpdate, call?: CallOptions): Promise<Api.UserLimits> {
    return this.transport.json({ method: 'PUT', path: route`/v1/limits/users/${userId}`, body: changes }, call);
  }
}

/** Tenants (platform operator key only). */
export class Tenants {
  constructor(private readonly transport: Transport) {}
  create(request: { name: string }, call?: CallOptions): Promise<Api.Tenant> {
    return this.transport.json({ method: 'POST', path: '/v1/tenants', body: request }, call);
  }
  list(call?: CallOptions): Paginated<Api.Tenant> {
    return paginated(this.transport, '/v1/tenants', {}, call);
  }
}

/** The audit log (role auditor; API.md §6). */
export class Audit {
  readonly events: { list(query?: ListQuery<Api.AuditEventsQuery>, call?: CallOptions): Paginated<Api.AuditEvent> };
  constructor(private readonly transport: Transport) {
    this.events = { list: (query = {}, call) => paginated(transport, '/v1/audit/events', query, call) };
  }
  /** Recomputes the tenant's hash chain. */
  verify(call?: CallOptions): Promise<Api.AuditVerification> {
    return this.transport.json({ method: 'GET', path: '/v1/audit/verify' }, call);
  }
  /** The log as JSON lines or OCSF, streamed. */
  export(query: Api.AuditExportQuery = {}, call?: CallOptions): Promise<Download> {
    return download(this.transport, '/v1/audit/export', query, call);
  }
}

/** Costs (role finance; API.md §7). */
export class Costs {
  constructor(private readonly transport: Transport) {}
  summary(query: Api.CostSummaryQuery = {}, call?: CallOptions): Promise<Api.CostSummary> {
    return this.transport.json({ method: 'GET', path: '/v1/costs/summary', query }, call);
  }
  /** Cost lines (FOCUS CSV/JSONL or plain CSV), streamed. */
  export(query: Api.CostExportQuery = {}, call?: CallOptions): Promise<Download> {
    return download(this.transport, '/v1/costs/export', query, call);
  }
}

/** Live sessions of the tenant and the kill switch (role admin; API.md §5). */
export class Admin {
  readonly sessions: {
    list(query?: ListQuery<Api.TenantSessionsQuery>, call?: CallOptions): Paginated<Api.TenantSession>;
    terminate(id: string, call?: CallOptions): Promise<Api.TerminatedSession>;
  };
  readonly users: { terminateSessions(userId: string, call?: CallOptions): Promise<Api.TerminatedUserSessions> };
  constructor(transport: Transport) {
    this.sessions = {
      list: (query = {}, call) => paginated(transport, '/v1/admin/sessions', query, call),
      terminate: (id, call) => transport.json({ method: 'POST', path: route`/v1/admin/sessions/${id}/terminate` }, call),
    };
    this.users = {
      terminateSessions: (userId, call) => transport.json({ method: 'POST', path: route`/v1/admin/users/${userId}/terminate-sessions` }, call),
    };
  }
}
