import { FoundryApiError, notFound } from './api-errors.js';
import { messageText, type ConversationItem, type ConversationRecord } from './conversation-store.js';
import { toItem } from './conversation-routes.js';
import { countWords, playTransportFault, readBody, type AgentApproval, type RouteCall } from '#libs/emulator-kit';
import { planTurn } from './deterministic-agent.js';
import { newFoundryId, unixSeconds } from './emulator-ids.js';
import { completedResponse, failedResponse, type ResponseContext } from './response-events.js';
import { writeResponseStream } from './response-stream.js';
import { ok, openaiPrefix, type EmulatorServices, type Route, type RouteResult } from './route-table.js';
import type { SessionRecord } from './session-store.js';
import { createResponseBody, inputText, type ApprovalResponseInput, type CreateResponseBody, type MessageInput } from './wire-schemas.js';

/**
 * `POST …/protocols/openai/responses`: one turn of the hosted agent, JSON or
 * SSE. The turn runs in the session named by `agent_session_id`, else in the
 * conversation's session, else in a new one (the service auto-creates).
 * `turns.run` counts turns the agent actually started; a `status` fault on
 * `turns.run` makes the agent fail in-band (`response.failed`). The
 * conversation gains the turn's items once the agent finishes, even if the
 * client's connection broke; a turn the client abandoned before the end
 * leaves no trace.
 */
export function responseRoutes(services: EmulatorServices): Route[] {
  return [{ method: 'POST', path: `${openaiPrefix}/responses`, op: 'responses.create', streaming: true, handle: (call) => createResponse(services, call) }];
}

async function createResponse(services: EmulatorServices, { req, res, params, fault }: RouteCall): Promise<RouteResult> {
  const { conversations, clock, stats, faults } = services;
  const body = await readBody(req, createResponseBody);
  const conversationId = typeof body.conversation === 'string' ? body.conversation : body.conversation?.id;
  const conversation = conversationId ? conversations.find(params.project, params.agent, conversationId) : null;
  const session = sessionFor(services, params, body, conversation);

  const inputs = typeof body.input === 'string' ? [{ role: 'user' as const, content: body.input }] : body.input;
  const messageInputs = inputs.filter((item): item is MessageInput => !('approval_request_id' in item));
  const answers = inputs.filter((item): item is ApprovalResponseInput => 'approval_request_id' in item);
  const inputItems: ConversationItem[] = inputs.map((item) =>
    'approval_request_id' in item ? { ...item, id: newFoundryId('mcpa'), type: 'mcp_approval_response' } : toItem(item as MessageInput),
  );
  const text = messageInputs.filter((item) => item.role === 'user').map((item) => inputText(item.content)).join(' ');
  const history = conversation?.items ?? [];
  const answered = answeredRequest(history, answers);
  // A response that only answers an approval request goes on with the message that led to it; a new message is answered itself.
  const askedAt = text || !answered ? history.length : history.indexOf(answered.request);
  const messages = history.slice(0, askedAt).filter((item) => item.type === 'message');
  const said = text || (answered ? messageText(messages.filter((item) => item.role === 'user').at(-1)!) : '');
  const earlier = text || !answered ? messages : messages.slice(0, messages.findLastIndex((item) => item.role === 'user'));
  stats.count('turns.run');
  const agentFault = faults.take('turns.run');
  // The Responses API types `usage` as optional: a completed response may carry none (the adapter must record "not reported", not zero).
  const omitUsage = faults.take('responses.usage')?.kind === 'omit';
  const context: ResponseContext = {
    id: newFoundryId('resp'),
    createdAt: unixSeconds(clock.now()),
    agentName: params.agent,
    agentVersion: session.version,
    sessionId: session.id,
    conversationId: conversation?.id ?? null,
    metadata: body.metadata ?? {},
  };
  const built =
    agentFault?.kind === 'status'
      ? failedResponse(context, { code: 'server_error', message: `the agent failed (injected HTTP ${agentFault.status})` })
      : completedResponse(
          context,
          planTurn(
            {
              text: said,
              earlierTexts: earlier.filter((item) => item.role === 'user').map(messageText),
              contextWords: earlier.reduce((sum, item) => sum + countWords(messageText(item)), 0),
            },
            answered && !text ? answered.answer : undefined,
          ),
          { omitUsage },
        );
  const commit = () => {
    if (!conversation || built.response.status !== 'completed') return;
    conversation.items.push(...inputItems, ...built.outputItems);
    conversation.sessionId ??= session.id;
  };

  session.running += 1;
  services.sessions.touch(session);
  try {
    if (!body.stream) {
      // A JSON answer suffers stream-shaping faults like any other call (the router already answered a `status` one).
      if (fault && fault.kind !== 'status' && (await playTransportFault(fault, res, { streaming: false })) === 'answered') return 'written';
      commit();
      return ok(built.response);
    }
    const outcome = await writeResponseStream(res, built.events, { fault, pacingMs: services.pacingMs });
    if (outcome !== 'abandoned') commit();
    return 'written';
  } finally {
    session.running -= 1;
    services.sessions.touch(session);
  }
}

/**
 * The approval request the input answers, checked against the
 * conversation: an answer must name an `mcp_approval_request` it holds that
 * no earlier answer answered (else 400, as the service refuses an unknown
 * `approval_request_id`).
 */
function answeredRequest(history: ConversationItem[], answers: ApprovalResponseInput[]) {
  let found: { request: ConversationItem; answer: AgentApproval & { approvalRequestId: string } } | undefined;
  for (const answer of answers) {
    const request = history.find((item) => item.type === 'mcp_approval_request' && item.id === answer.approval_request_id);
    const already = history.some((item) => item.type === 'mcp_approval_response' && item.approval_request_id === answer.approval_request_id);
    if (!request || already) throw new FoundryApiError(400, 'invalid_request', `no pending mcp_approval_request with id '${answer.approval_request_id}'`);
    found = { request, answer: { decision: answer.approve ? 'allow' : 'deny', ...(answer.reason ? { message: answer.reason } : {}), approvalRequestId: answer.approval_request_id } };
  }
  return found;
}

/**
 * The session a response runs in. A named session must exist and be live:
 * unknown or deleted is 404 `session_not_found`, expired is 409
 * `session_expired` (an idle one simply resumes).
 */
function sessionFor(services: EmulatorServices, params: Record<string, string>, body: CreateResponseBody, conversation: ConversationRecord | null): SessionRecord {
  const { sessions, agents } = services;
  const named = body.agent_session_id ?? conversation?.sessionId;
  if (named) {
    const session = sessions.find(params.project, params.agent, named);
    if (sessions.status(session) === 'expired') throw new FoundryApiError(409, 'session_expired', `session '${named}' has expired`);
    return session;
  }
  const latest = agents.latest(params.project, params.agent);
  if (!latest) throw notFound('agent', params.agent);
  const { idleTimeoutSeconds } = agents.hostedProfile(latest);
  return sessions.create({ project: params.project, agentName: params.agent, id: newFoundryId('sess'), version: latest.version, idleTimeoutSeconds });
}
