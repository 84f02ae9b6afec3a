import { status as GrpcStatus, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { fromProtoStruct } from '../vertex-struct.js';
import type { OperationStore } from './operation-store.js';
import { protoDefinitions, type ApiVersion } from './proto-definitions.js';
import { sessionEventMessage, sessionMessage } from './proto-views.js';
import { RpcError } from './rpc-errors.js';
import type { SessionStore } from './session-store.js';
import { unary, type CallContext } from './unary-calls.js';
import { appendEventRequest, createSessionRequest, listEventsRequest, listSessionsRequest, millisOf, nameRequest } from './wire-schemas.js';

export interface SessionServiceDeps extends CallContext {
  store: SessionStore;
  operations: OperationStore;
}

const maxPageSize = 100;

/**
 * `google.cloud.aiplatform.{v1,v1beta1}.SessionService`. Fault ops:
 * `sessions.create|get|list|delete|listEvents|appendEvent`.
 */
export function sessionService(version: ApiVersion, deps: SessionServiceDeps): UntypedServiceImplementation {
  const { store, operations } = deps;
  const sessionType = `google.cloud.aiplatform.${version}.Session`;
  const serializeSession = protoDefinitions()[`google.cloud.aiplatform.${version}.SessionService`] as unknown as { GetSession: { responseSerialize: (value: object) => Buffer } };
  const packSession = (value: object) => ({ type_url: `type.googleapis.com/${sessionType}`, value: serializeSession.GetSession.responseSerialize(value) });
  const empty = { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) };

  return {
    CreateSession: unary(deps, 'sessions.create', (raw) => {
      const request = createSessionRequest.parse(raw);
      const session = store.create({
        parent: request.parent,
        sessionId: request.session_id || undefined,
        userId: request.session?.user_id,
        displayName: request.session?.display_name,
        labels: request.session?.labels,
        state: request.session?.session_state ? fromProtoStruct(request.session.session_state as never) : undefined,
        ttlMs: millisOf(request.session?.ttl),
        expireMs: millisOf(request.session?.expire_time),
      });
      return operations.start(session.name, packSession(sessionMessage(session)));
    }),
    GetSession: unary(deps, 'sessions.get', (raw) => sessionMessage(store.get(nameRequest.parse(raw).name))),
    ListSessions: unary(deps, 'sessions.list', (raw) => {
      const request = listSessionsRequest.parse(raw);
      const userFilter = request.filter ? /^\s*user_id\s*=\s*"([^"]*)"\s*$/.exec(request.filter) : null;
      if (request.filter && !userFilter) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `Unsupported filter: ${request.filter}`);
      return page(store.list(request.parent, userFilter?.[1]), request, 'sessions', sessionMessage);
    }),
    DeleteSession: unary(deps, 'sessions.delete', (raw) => {
      const { name } = nameRequest.parse(raw);
      store.delete(name);
      return operations.start(name, empty);
    }),
    ListEvents: unary(deps, 'sessions.listEvents', (raw) => {
      const request = listEventsRequest.parse(raw);
      return page(store.get(request.parent).events, request, 'session_events', sessionEventMessage);
    }),
    AppendEvent: unary(deps, 'sessions.appendEvent', (raw) => {
      const request = appendEventRequest.parse(raw);
      const event = request.event;
      if (!event?.author || !event.invocation_id || !event.timestamp) {
        throw new RpcError(GrpcStatus.INVALID_ARGUMENT, 'event.author, event.invocation_id and event.timestamp are required.');
      }
      store.appendEvent(store.get(request.name), { author: event.author, invocation_id: event.invocation_id, content: event.content });
      return {};
    }),
  };
}

/** Offset-token paging, at most 100 per page as the service documents. */
function page<T>(items: T[], request: { page_size?: number; page_token?: string }, field: string, view: (item: T) => object) {
  const size = Math.min(request.page_size || maxPageSize, maxPageSize);
  const start = request.page_token ? Number(request.page_token) : 0;
  if (!Number.isInteger(start) || start < 0) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, 'Invalid page_token.');
  const next = start + size < items.length ? String(start + size) : '';
  return { [field]: items.slice(start, start + size).map(view), next_page_token: next };
}
