import { createHash } from 'node:crypto';
import type { SessionBinding } from '#libs/runtime-spec';

/**
 * The session id the broker asks Vertex for: derived from the broker's session
 * id, so a retried `createSession` names the same session (ALREADY_EXISTS)
 * instead of making a second one. Broker ids are lower-case Crockford base32,
 * so `sb-ses-…` fits Vertex's `[a-z][a-z0-9-]{0,61}[a-z0-9]` as is.
 */
export function vertexSessionIdFor(sessionId: string): string {
  const id = `sb-${sessionId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
  if (!/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(id)) throw new TypeError(`cannot derive a Vertex session id from ${sessionId}`);
  return id;
}

/**
 * The `user_id` Vertex stores on the session. One engine serves every tenant,
 * and ADK agents scope sessions and memories by user id, so the id must be
 * tenant-qualified: `alice` of two tenants must never be the same user there.
 * The end user's own id is hashed (it is the caller's, possibly personal data,
 * of any length); the tenant id stays readable for support.
 */
export function vertexUserIdFor(binding: Pick<SessionBinding, 'tenantId' | 'userId'>): string {
  const digest = createHash('sha256').update(binding.tenantId).update('\0').update(binding.userId).digest('hex').slice(0, 32);
  return `${binding.tenantId}:${digest}`;
}

/** The last segment of a resource name (`…/sessions/{id}` → `{id}`). */
export function lastSegment(resourceName: string): string {
  return resourceName.slice(resourceName.lastIndexOf('/') + 1);
}
