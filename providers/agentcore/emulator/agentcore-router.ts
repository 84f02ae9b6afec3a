import type { RequestListener } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createEmulatorRouter, RequestBodyError, type ControlContext, type EmulatorRoute } from '#libs/emulator-kit';
import { AgentCoreApiError, errorTypeForStatus } from './api-errors.js';
import { getAgentRuntime, invokeRuntime, stopRuntimeSession, type RouteServices } from './runtime-routes.js';

/** An AgentCore operation; its handler writes the response itself. */
interface Route extends EmulatorRoute<void> {
  method: 'GET' | 'POST';
  op: 'invoke' | 'stop' | 'getAgentRuntime';
}

/**
 * The identifier is ONE percent-encoded path segment: an ARN's `/` and `:`
 * arrive as %2F and %3A (the SDK encodes path labels), so it never splits.
 */
const routes = (services: RouteServices): Route[] => [
  { method: 'POST', path: '/runtimes/{identifier}/invocations', op: 'invoke', streaming: true, handle: (call) => invokeRuntime(call, services) },
  { method: 'POST', path: '/runtimes/{identifier}/stopruntimesession', op: 'stop', handle: (call) => stopRuntimeSession(call, services) },
  { method: 'GET', path: '/runtimes/{identifier}/', op: 'getAgentRuntime', handle: (call) => getAgentRuntime(call, services) },
];

/**
 * The emulator's front door, the emulators' shared pipeline
 * (`createEmulatorRouter`) in AgentCore's terms: SigV4 presence (an
 * `authorization` header; signatures are not checked) before routing.
 * Every response carries `x-amzn-requestid`; failures carry
 * `x-amzn-errortype` and `{"message"}` as AgentCore's do.
 */
export function createRouter(services: RouteServices & ControlContext): RequestListener {
  return createEmulatorRouter({
    ...services,
    routes: routes(services),
    newRequestId: randomUUID,
    requestIdHeaders: ['x-amzn-requestid'],
    admit: (req) => {
      if (!/^AWS4-HMAC-SHA256 Credential=\S+/.test(req.headers.authorization ?? '')) {
        throw new AgentCoreApiError(403, 'Missing Authentication Token', {}, 'MissingAuthenticationTokenException');
      }
    },
    notFound: (method, pathname) => new AgentCoreApiError(404, `no operation ${method} ${pathname}`, {}, 'ResourceNotFoundException'),
    // An injected 503 has no `x-amzn-errortype`, so the SDK maps it by status alone; a 429 gets no `retry-after` unless the fault sets one.
    statusFault: (status, route) => ({
      body: { message: `injected fault on ${route.op}: HTTP ${status}` },
      headers: status === 503 ? {} : { 'x-amzn-errortype': errorTypeForStatus(status) },
    }),
    errorAnswer: (error) => {
      const apiError =
        error instanceof AgentCoreApiError
          ? error
          : error instanceof RequestBodyError
            ? new AgentCoreApiError(400, error.message, { reason: 'CannotParse' })
            : new AgentCoreApiError(500, 'internal emulator error');
      return { status: apiError.status, body: { message: apiError.message, ...apiError.extra }, headers: { 'x-amzn-errortype': apiError.type } };
    },
  });
}
