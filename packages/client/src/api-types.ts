import type { paths } from './generated/openapi.js';

/**
 * Types derived from the generated OpenAPI paths, by route and method rather
 * than by component name, so a regenerated document with other component
 * names still fits (the client only depends on which routes exist).
 */
export type Path = keyof paths;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The operation of a route and method. */
export type Operation<P extends Path, M extends Method> = NonNullable<paths[P][M]>;

type JsonContent<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON body a route answers with the given status. */
export type ResponseBody<P extends Path, M extends Method, S extends number> =
  Operation<P, M> extends { responses: infer R } ? (S extends keyof R ? JsonContent<R[S]> : never) : never;

/** The JSON body a route takes. */
export type RequestBody<P extends Path, M extends Method> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonContent<NonNullable<B>> : never;

/** The query parameters a route takes. */
export type QueryParameters<P extends Path, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** One item of a `{data: [...]}` page. */
export type Item<Page> = Page extends { data: Array<infer T> } ? T : never;

export type Session = ResponseBody<'/v1/sessions/{id}', 'get', 200>;
export type CreateSessionRequest = RequestBody<'/v1/sessions', 'post'>;
export type ListSessionsQuery = QueryParameters<'/v1/sessions', 'get'>;
export type TurnRequest = RequestBody<'/v1/sessions/{id}/turns', 'post'>;
export type Turn = ResponseBody<'/v1/sessions/{id}/turns/{turnId}', 'get', 200>['turn'];
export type StoredEvent = Item<ResponseBody<'/v1/sessions/{id}/events', 'get', 200>>;
export type Agent = ResponseBody<'/v1/agents/{id}', 'get', 200>;
export type CreateAgentRequest = RequestBody<'/v1/agents', 'post'>;
export type UpdateAgentRequest = RequestBody<'/v1/agents/{id}', 'patch'>;
export type AgentCheck = ResponseBody<'/v1/agents/{id}/check', 'post', 200>;
export type ApiKeyCreated = ResponseBody<'/v1/api-keys', 'post', 201>;
export type CreateApiKeyRequest = RequestBody<'/v1/api-keys', 'post'>;
export type ApiKey = Item<ResponseBody<'/v1/api-keys', 'get', 200>>;
export type RotateApiKeyRequest = RequestBody<'/v1/api-keys/{keyId}/rotate', 'post'>;
export type Tenant = ResponseBody<'/v1/tenants', 'post', 201>;
export type Limits = ResponseBody<'/v1/limits', 'get', 200>;
export type LimitsUpdate = RequestBody<'/v1/limits', 'put'>;
export type UserLimits = ResponseBody<'/v1/limits/users/{userId}', 'get', 200>;
export type UserLimitsUpdate = RequestBody<'/v1/limits/users/{userId}', 'put'>;
export type AuditEvent = Item<ResponseBody<'/v1/audit/events', 'get', 200>>;
export type AuditEventsQuery = QueryParameters<'/v1/audit/events', 'get'>;
export type AuditVerification = ResponseBody<'/v1/audit/verify', 'get', 200>;
export type AuditExportQuery = QueryParameters<'/v1/audit/export', 'get'>;
export type CostSummary = ResponseBody<'/v1/costs/summary', 'get', 200>;
export type CostSummaryQuery = QueryParameters<'/v1/costs/summary', 'get'>;
export type CostExportQuery = QueryParameters<'/v1/costs/export', 'get'>;
export type TenantSessionsQuery = QueryParameters<'/v1/admin/sessions', 'get'>;
export type TenantSession = Item<ResponseBody<'/v1/admin/sessions', 'get', 200>>;
export type Me = ResponseBody<'/v1/me', 'get', 200>;
export type Provider = Item<ResponseBody<'/v1/providers', 'get', 200>>;
export type RevokedApiKey = ResponseBody<'/v1/api-keys/{keyId}', 'delete', 200>;
export type TerminatedSession = ResponseBody<'/v1/admin/sessions/{id}/terminate', 'post', 200>;
export type TerminatedUserSessions = ResponseBody<'/v1/admin/users/{userId}/terminate-sessions', 'post', 200>;
