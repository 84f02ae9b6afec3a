import type { SessionBinding, SessionHandle } from '#libs/runtime-spec';
import type { Session } from './session.repository.js';

/** The binding an adapter sees for a stored session. */
export function bindingOf(session: Session): SessionBinding {
  return {
    sessionId: session.id,
    tenantId: session.tenantId,
    userId: session.userId,
    agent: { id: session.agentId, name: session.agentName, instructions: session.agentInstructions },
    target: session.target,
    metadata: session.metadata,
    idleTimeoutSeconds: session.idleTimeoutSeconds,
    maxLifetimeSeconds: session.maxLifetimeSeconds,
  };
}

/** The handle an adapter needs for a provisioned session. */
export function handleOf(session: Session): SessionHandle {
  return { binding: bindingOf(session), providerSessionId: session.providerSessionId!, state: session.providerState };
}
