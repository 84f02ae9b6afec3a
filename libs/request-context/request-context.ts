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
