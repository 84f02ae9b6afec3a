import { AsyncLocalStorage } from 'node:async_hooks';

export const tenantRoles = ['app', 'auditor', 'finance', 'admin'] as const;
export type TenantRole = (typeof tenantRoles)[number];

/** Who is calling: resolved once per request by the authentication guard. */
export type Principal =
  | {
      kind: 'tenant';
      tenantId: string;
      role: TenantRole;
      /** The end user the call acts for: `X-End-User` for API keys, `sub` for JWTs. */
      userId: string | undefined;
      credential: { kind: 'api_key' | 'jwt'; id: string };
    }
  | { kind: 'operator'; credential: { kind: 'operator_key'; id: 'operator' } };

/** Everything that travels with one request, in one object. */
export interface RequestContext {
  requestId: string;
  principal: Principal | undefined;
  /** The matched HTTP operation and the caller's address, once routing has matched (audit events record them). */
  http?: RequestHttp;
}

export interface RequestHttp {
  method: string;
  /** The route template (`/v1/sessions/:id`), never the concrete URL. */
  route: string;
  operationId: string;
  /** What the route answers when it succeeds. */
  successStatus: number;
  /** The client's address as the broker saw it: the socket peer, or the forwarded client when the trust-proxy setting trusts the hops. */
  clientIp: string | null;
  /** The peer's port; null when the address came from a forwarded header (a proxy does not forward the client's port). */
  clientPort: number | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request's context, or undefined outside a request (boot, background jobs). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
