import { invalidRequest } from '#libs/errors';
import type { Transaction } from '#libs/persistence';
import type { ApprovalDecision } from '#libs/runtime-spec';
import { appendAuditEvent } from '../../audit/audit-log.js';
import { onlyIfFinishedTurn } from '../turns/finished-turn.js';
import type { PendingApproval, Session } from '../session.repository.js';

/**
 * Tool approvals (API.md §4): the session remembers the tool calls its last
 * turn left waiting for a person; the next turn decides every one of them,
 * explicitly (`approvals` in its body) or, for those it leaves out, by an
 * implicit deny, so the agent is never left blocked at the provider.
 */

/** A decision as the turn sends it, and whether the client made it or the broker denied for it. */
export interface TurnDecision extends ApprovalDecision {
  name: string;
  /** The turn that asked. */
  requestedIn: string;
  /** True when the client did not decide this call and the broker denied it. */
  implicit: boolean;
}

/**
 * The decisions a turn carries to the provider: the client's, checked
 * against the calls waiting (an id that is not waiting is a 400, and so is
 * one decided twice), then a deny for each call left undecided.
 */
export function decisionsFor(pending: readonly PendingApproval[], approvals: readonly ApprovalDecision[] | undefined): TurnDecision[] {
  const waiting = new Map(pending.map((call) => [call.toolCallId, call]));
  const decided = new Set<string>();
  const decisions: TurnDecision[] = [];
  for (const [index, approval] of (approvals ?? []).entries()) {
    const call = waiting.get(approval.toolCallId);
    const path = `approvals.${index}.toolCallId`;
    if (!call) throw invalidRequest('the session has no tool call waiting for approval with this id', [{ path, message: `no pending tool call ${approval.toolCallId}` }]);
    if (decided.has(call.toolCallId)) throw invalidRequest('a tool call is decided twice', [{ path, message: `${approval.toolCallId} is decided twice` }]);
    if (approval.decision === 'allow' && approval.message !== undefined) {
      throw invalidRequest('a message explains a denial only', [{ path: `approvals.${index}.message`, message: 'only allowed with decision "deny"' }]);
    }
    decided.add(call.toolCallId);
    decisions.push({ ...approval, name: call.name, requestedIn: call.turnId, implicit: false });
  }
  for (const call of pending) {
    if (decided.has(call.toolCallId)) continue;
    decisions.push({ toolCallId: call.toolCallId, decision: 'deny', message: 'denied: the next turn went on without a decision', name: call.name, requestedIn: call.turnId, implicit: true });
  }
  return decisions;
}

/** What the provider is sent: the portable decision only. */
export const toProviderDecisions = (decisions: readonly TurnDecision[]): ApprovalDecision[] =>
  decisions.map(({ toolCallId, decision, message }) => (message === undefined ? { toolCallId, decision } : { toolCallId, decision, message }));

/**
 * Inside the turn's settlement transaction, once the provider took the turn
 * (so took its decisions): each decision is audited as `approval.decided`
 * with the deciding user, and the session now waits for the calls this turn
 * asked about (none: NULL). A turn the provider never took changes nothing:
 * its calls are still waiting, and a retry decides them again. The
 * decisions' audit records are not guarded by the turn's end
 * (finished-turn.ts): the caller must have sent and checked that end
 * before, when there are any.
 */
export async function settleApprovals(
  tx: Transaction,
  session: Session,
  turn: { id: string; userId: string; decisions: readonly TurnDecision[]; requested: readonly PendingApproval[] },
): Promise<void> {
  for (const decision of turn.decisions) {
    await appendAuditEvent(tx, session.tenantId, {
      type: 'approval.decided',
      user: turn.userId,
      session: session.id,
      provider: session.provider,
      providerSession: session.providerSessionId,
      detail: {
        action: 'decide',
        turnId: turn.id,
        requestedIn: decision.requestedIn,
        toolCallId: decision.toolCallId,
        tool: decision.name,
        decision: decision.decision,
        implicit: decision.implicit,
      },
    });
  }
  if (turn.decisions.length === 0 && turn.requested.length === 0) return;
  // Deferred, with the turn's record (no round trip of its own), and only if that transaction ended the turn.
  tx.defer(`UPDATE sessions SET pending_approvals = $2 WHERE id = $1 AND ${onlyIfFinishedTurn('$3')}`, [
    session.id, turn.requested.length > 0 ? JSON.stringify(turn.requested) : null, turn.id,
  ]);
}
