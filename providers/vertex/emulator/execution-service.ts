import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { constants as http2 } from 'node:http2';
import type { Http2Stream } from 'node:http2';
import type { EmulatorClock, Fault } from '#libs/emulator-kit';
import { fromProtoStruct } from '../vertex-struct.js';
import { requestConfirmationName, runDeterministicTurn, type ConfirmationAnswer } from './deterministic-agent.js';
import { faultMessage, grpcStatusForHttp, RpcError, toServiceError } from './rpc-errors.js';
import type { SessionStore, StoredSession } from './session-store.js';
import { waitUnlessCancelled, type CallContext } from './unary-calls.js';
import { streamQueryInput, streamQueryRequest } from './wire-schemas.js';

export interface ExecutionServiceDeps extends CallContext {
  store: SessionStore;
  clock: EmulatorClock;
  /** Real milliseconds between streamed messages. */
  pacingMs: number;
}

/** How a `truncate` fault ends the stream after its `afterEvents` messages. */
const cutOps = {
  /** A non-OK status after the messages (what a proxy or a crashed container sends). */
  'engine.streamQuery': 'status',
  /** RST_STREAM on the HTTP/2 stream, no status at all. */
  'engine.streamQuery.reset': 'reset',
  /** A clean OK end with the final ADK event never sent. */
  'engine.streamQuery.cleanEnd': 'clean',
} as const;

type Call = ServerWritableStream<unknown, unknown>;

/**
 * `ReasoningEngineExecutionService.StreamQueryReasoningEngine`, as a deployed
 * ADK AdkApp serves `async_stream_query`: validates the engine, class method,
 * input and session, appends the user's message and the agent's events to
 * the session, and streams each ADK event as one `google.api.HttpBody`
 * (`application/json`, one JSON line). Counts `engine.streamQuery` per call,
 * `engine.streamQuery.cancelled` per call the client cancelled, and
 * `turns.run` per turn the agent actually started.
 */
export function executionService(deps: ExecutionServiceDeps): UntypedServiceImplementation {
  return {
    StreamQueryReasoningEngine: (call: Call) => {
      deps.stats.count('engine.streamQuery');
      call.once('cancelled', () => deps.stats.count('engine.streamQuery.cancelled'));
      void serve(deps, call).catch((error: unknown) => {
        if (!(error instanceof RpcError)) deps.logger.error({ err: error }, 'Vertex emulator stream failed');
        // grpc-js sends a server stream's status from an 'error' event; destroy() would leave the client waiting for its deadline.
        if (!call.cancelled) call.emit('error', toServiceError(error));
      });
    },
  };
}

async function serve(deps: ExecutionServiceDeps, call: Call): Promise<void> {
  const fault = deps.faults.take('engine.streamQuery');
  // Refusals come from the front end, before anything runs and before any response metadata.
  if (fault?.kind === 'status') throw new RpcError(grpcStatusForHttp(fault.status), faultMessage(fault.body, `injected ${fault.status}`));
  if (fault?.kind === 'stall') return;
  if (fault?.kind === 'delay' && !(await waitUnlessCancelled(call, fault.ms))) return;

  const request = streamQueryRequest.parse(call.request);
  const engine = deps.store.engine(request.name);
  const classMethod = request.class_method || 'stream_query';
  if (!engine.classMethods.includes(classMethod)) {
    throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `Reasoning Engine ${engine.name} does not support class method "${classMethod}". Registered: ${engine.classMethods.join(', ')}.`);
  }
  const input = streamQueryInput.safeParse(fromProtoStruct(request.input as never));
  if (!input.success) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `Invalid input: ${input.error.issues.map((issue) => issue.message).join('; ')}`);
  const session = sessionFor(deps, engine.name, input.data);
  const message = input.data.message;
  const confirmation = typeof message === 'string' ? undefined : confirmationAnswer(session, message.parts);
  const history = userTexts(session);
  // Answering a confirmation goes on with the message the tool call came from.
  const text = confirmation ? (history.pop() ?? '') : typeof message === 'string' ? message : message.parts.map((part) => part.text ?? '').join('\n');

  deps.stats.count('turns.run');
  let sequence = 0;
  const turn = runDeterministicTurn({
    text,
    history,
    ...(confirmation ? { confirmation } : {}),
    invocationId: `e-${randomUUID()}`,
    nextId: () => `${randomUUID().slice(0, 8)}-${++sequence}`,
    nowSeconds: deps.clock.now() / 1000,
  });
  deps.store.appendEvent(session, turn.stored[0]);
  const cut = cutFault(deps, fault);
  // Partial events exist only when the caller asked for SSE streaming, as in ADK.
  const streamed = input.data.run_config?.streaming_mode === 'sse' ? turn.streamed : turn.streamed.filter((event) => !event.partial);
  for (const [index, event] of streamed.entries()) {
    if (cut && index === cut.afterEvents) return endCut(call, cut.how);
    if (!(await waitUnlessCancelled(call, deps.pacingMs))) return;
    if (!event.partial) deps.store.appendEvent(session, event);
    call.write({ content_type: 'application/json', data: Buffer.from(`${JSON.stringify(event)}\n`) });
  }
  call.end();
}

/**
 * The session a turn runs in. A session of another user is NOT_FOUND, as ADK
 * answers when `user_id` does not match: one user cannot read another's.
 */
function sessionFor(deps: ExecutionServiceDeps, engine: string, input: { user_id: string; session_id?: string }): StoredSession {
  if (!input.session_id) return deps.store.create({ parent: engine, userId: input.user_id });
  const name = `${engine}/sessions/${input.session_id}`;
  const session = deps.store.find(name);
  if (!session || session.userId !== input.user_id) throw new RpcError(GrpcStatus.NOT_FOUND, `Session not found: ${input.session_id}`);
  return session;
}

/**
 * The user's answer to the session's pending `adk_request_confirmation`
 * call, if the message is one. An answer to a call the session does not
 * hold, or one already answered, is refused (ADK cannot find the original
 * function call to resume).
 */
function confirmationAnswer(session: StoredSession, parts: Array<{ function_response?: { id?: string | null; name: string; response?: { confirmed?: boolean } | null } }>): ConfirmationAnswer | undefined {
  const answer = parts.find((part) => part.function_response?.name === requestConfirmationName)?.function_response;
  if (!answer) return undefined;
  const calls = session.events.flatMap((event) => ((event.adk.content as { parts?: Array<{ function_call?: { id?: string; name?: string; args?: { originalFunctionCall?: { id?: string } } } }> } | undefined)?.parts ?? []));
  const request = calls.find((part) => part.function_call?.name === requestConfirmationName && part.function_call.id === answer.id)?.function_call;
  const answered = session.events.some((event) =>
    ((event.adk.content as { parts?: Array<{ function_response?: { id?: string; name?: string } }> } | undefined)?.parts ?? []).some(
      (part) => part.function_response?.name === requestConfirmationName && part.function_response.id === answer.id,
    ),
  );
  const originalCallId = request?.args?.originalFunctionCall?.id;
  if (!request || answered || !originalCallId) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `No pending ${requestConfirmationName} function call with id ${answer.id ?? '(none)'}`);
  return { confirmationId: request.id!, confirmed: answer.response?.confirmed === true, originalCallId };
}

function userTexts(session: StoredSession): string[] {
  return session.events.flatMap((event) => {
    const content = event.adk.content as { role?: string; parts?: Array<{ text?: string }> } | undefined;
    return event.adk.author === 'user' && content?.parts?.[0]?.text !== undefined ? [content.parts.map((part) => part.text ?? '').join('')] : [];
  });
}

function cutFault(deps: ExecutionServiceDeps, first: Fault | undefined): { afterEvents: number; how: (typeof cutOps)[keyof typeof cutOps] } | undefined {
  if (first?.kind === 'truncate') return { afterEvents: first.afterEvents, how: 'status' };
  for (const [op, how] of Object.entries(cutOps)) {
    if (op === 'engine.streamQuery') continue;
    const fault = deps.faults.take(op);
    if (fault?.kind === 'truncate') return { afterEvents: fault.afterEvents, how };
  }
  return undefined;
}

function endCut(call: Call, how: 'status' | 'reset' | 'clean'): void {
  if (how === 'clean') return void call.end();
  if (how === 'status') return void call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'The agent container stopped while streaming the response.' });
  // grpc-js has no API to reset a server stream; its call object keeps the HTTP/2 stream.
  const stream = (call as unknown as { call?: { stream?: Http2Stream } }).call?.stream;
  if (stream) stream.close(http2.NGHTTP2_INTERNAL_ERROR);
  else call.emit('error', { code: GrpcStatus.INTERNAL, details: 'Received RST_STREAM with code 2' });
}
