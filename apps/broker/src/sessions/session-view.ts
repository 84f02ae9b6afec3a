import type { Session } from './session.repository.js';
import type { SessionView } from './session.schemas.js';

export function toSessionView(session: Session): SessionView {
  return {
    id: session.id,
    agent: { id: session.agentId, name: session.agentName },
    provider: session.provider,
    user: session.userId,
    status: session.status,
    terminationReason: session.terminationReason,
    metadata: session.metadata,
    createdAt: session.createdAt.toISOString(),
    lastActivityAt: session.lastActivityAt.toISOString(),
    idleExpiresAt: session.status === 'terminated' ? null : (session.idleExpiresAt?.toISOString() ?? null),
    expiresAt: session.status === 'terminated' ? null : (session.expiresAt?.toISOString() ?? null),
    endedAt: session.endedAt?.toISOString() ?? null,
    idleTimeoutSeconds: session.idleTimeoutSeconds,
    maxLifetimeSeconds: session.maxLifetimeSeconds,
    providerSession: session.providerSessionId ? { id: session.providerSessionId } : null,
    usage: {
      turns: session.turnCount,
      inputTokens: session.inputTokens,
      outputTokens: session.outputTokens,
      activeSeconds: session.activeSeconds,
      costUsd: session.costUsd.replace(/\.?0+$/, '') || '0',
    },
  };
}

/**
 * Why a live session is past its deadline, by the broker's clock (the source
 * of truth: some providers reap sessions silently), or undefined. A turn in
 * progress holds off the idle deadline, never the lifetime.
 */
export function expiryReason(session: Session, now = new Date()): 'idle_timeout' | 'max_lifetime' | undefined {
  if (session.status === 'terminated') return undefined;
  if (session.expiresAt && session.expiresAt <= now) return 'max_lifetime';
  if (session.status === 'idle' && session.idleExpiresAt && session.idleExpiresAt <= now) return 'idle_timeout';
  return undefined;
}
