import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { RequestBodyError, readJsonBody, sendJson, type EmulatorClock, type EmulatorLogger, type EmulatorStats, type RouteCall } from '#libs/emulator-kit';
import { documentTurn, streamedTurn, type AgentChunk } from './agent-dialects.js';
import { AgentCoreApiError, fieldInvalid, notFound } from './api-errors.js';
import { planDemoTurn } from './demo-agent.js';
import type { MicroVm, MicroVmPool } from './microvm-pool.js';
import type { RuntimeCatalog } from './runtime-catalog.js';
import { streamChunks } from './invocation-stream.js';

export const sessionHeader = 'x-amzn-bedrock-agentcore-runtime-session-id';
/** The service's payload limit is 100 MB; the emulated agent reads chat prompts only. */
const payloadLimitBytes = 10 * 1024 * 1024;

export interface RouteServices {
  catalog: RuntimeCatalog;
  pool: MicroVmPool;
  clock: EmulatorClock;
  stats: EmulatorStats;
  logger: EmulatorLogger;
  pacingMs: number;
}

/** What the demo agent reads from the payload; `switchboard.resume` says the caller expects a continued session. */
const payloadSchema = z.looseObject({
  prompt: z.string(),
  switchboard: z.looseObject({ resume: z.boolean().optional() }).optional(),
});

/** `POST /runtimes/{arn}/invocations`: InvokeAgentRuntime. */
export async function invokeRuntime(call: RouteCall, services: RouteServices): Promise<void> {
  const { runtime, qualifier } = services.catalog.resolve(call.params.identifier, call.url.searchParams);
  const runtimeSessionId = requireSessionId(call.req);
  const payload = await readPayload(call.req);
  const vm = services.pool.acquire(runtime, qualifier, runtimeSessionId);
  const invocation = new AbortController();
  call.res.once('close', () => invocation.abort(new Error('the client went away')));
  services.pool.begin(vm, invocation);
  try {
    const headers = { [sessionHeader]: runtimeSessionId, 'x-amzn-requestid': call.requestId };
    const chunks = agentTurn(vm, payload, services);
    if (!(call.req.headers.accept ?? '').includes('text/event-stream')) {
      if (call.fault?.kind === 'delay') await sleep(call.fault.ms, undefined, { signal: invocation.signal });
      sendJson(call.res, 200, chunks.document, headers);
      vm.history.push(payload.prompt);
      return;
    }
    const complete = await streamChunks(call.res, chunks.stream, { headers, fault: call.fault, signal: invocation.signal, pacingMs: services.pacingMs });
    // The agent remembers a turn it finished; one cut off or abandoned leaves no trace.
    if (complete) vm.history.push(payload.prompt);
  } finally {
    services.pool.release(vm, invocation);
  }
}

/**
 * Runs the demo agent on a microVM. A microVM with no memory that the caller
 * expects to continue (`switchboard.resume`), or that replaces one lost under
 * the session, answers the `SessionStateLost` error the adapter's README asks
 * agents to raise, instead of silently starting over.
 */
function agentTurn(vm: MicroVm, payload: z.infer<typeof payloadSchema>, services: RouteServices): { stream: AgentChunk[]; document: unknown } {
  if (vm.history.length === 0 && (payload.switchboard?.resume || vm.replacesLostVm)) {
    services.stats.count('agent.stateLost');
    const error = { error: 'this microVM holds no conversation for the session', error_type: 'SessionStateLost', message: 'An error occurred during streaming' };
    return { stream: [{ data: error, content: true }], document: error };
  }
  services.stats.count('turns.run');
  const plan = planDemoTurn(vm.history, payload.prompt, `tooluse_${randomUUID().replaceAll('-', '').slice(0, 22)}`);
  return { stream: streamedTurn(vm.runtime.dialect, plan), document: documentTurn(vm.runtime.dialect, plan) };
}

/** `POST /runtimes/{arn}/stopruntimesession`: StopRuntimeSession; 404 when the session is unknown or already over. */
export async function stopRuntimeSession(call: RouteCall, services: RouteServices): Promise<void> {
  const { runtime, qualifier } = services.catalog.resolve(call.params.identifier, call.url.searchParams);
  const runtimeSessionId = requireSessionId(call.req);
  await readJsonBody(call.req);
  const vm = services.pool.find(runtime, qualifier, runtimeSessionId);
  if (!vm) throw notFound(`Session not found or already terminated: ${runtimeSessionId}`);
  services.pool.terminate(vm);
  sendJson(call.res, 200, {}, { [sessionHeader]: runtimeSessionId, 'x-amzn-requestid': call.requestId });
}

/** `GET /runtimes/{runtimeId}/`: the control plane's GetAgentRuntime, for the lifecycle. */
export function getAgentRuntime(call: RouteCall, services: RouteServices): void {
  const runtime = services.catalog.byId(call.params.identifier);
  // The control plane's timestamps are RFC 3339 strings (the SDK rejects epoch numbers here).
  const created = new Date(runtime.createdAt).toISOString();
  sendJson(
    call.res,
    200,
    {
      agentRuntimeArn: runtime.arn,
      agentRuntimeName: runtime.name,
      agentRuntimeId: runtime.runtimeId,
      agentRuntimeVersion: '1',
      createdAt: created,
      lastUpdatedAt: created,
      roleArn: `arn:aws:iam::${runtime.arn.split(':')[4]}:role/switchboard-emulated-runtime`,
      networkConfiguration: { networkMode: 'PUBLIC' },
      status: runtime.status,
      lifecycleConfiguration: { idleRuntimeSessionTimeout: runtime.idleTimeoutSeconds, maxLifetime: runtime.maxLifetimeSeconds },
    },
    { 'x-amzn-requestid': call.requestId },
  );
}

function requireSessionId(req: IncomingMessage): string {
  const value = req.headers[sessionHeader];
  const id = Array.isArray(value) ? value[0] : value;
  if (id === undefined || id.length < 33 || id.length > 256) throw fieldInvalid('runtimeSessionId', 'Member must have length between 33 and 256');
  return id;
}

/** The agent container gets the payload; one the demo agent cannot read makes it fail, which AgentCore reports as 424. */
async function readPayload(req: IncomingMessage): Promise<z.infer<typeof payloadSchema>> {
  let raw: unknown;
  try {
    raw = await readJsonBody(req, payloadLimitBytes);
  } catch (error) {
    if (error instanceof RequestBodyError && error.reason === 'too_large') throw fieldInvalid('payload', `Member must have length less than or equal to ${payloadLimitBytes}`);
    throw new AgentCoreApiError(424, 'Received error (500) from runtime. Please check your runtime logs: the payload is not JSON');
  }
  const payload = payloadSchema.safeParse(raw);
  if (!payload.success) throw new AgentCoreApiError(424, 'Received error (500) from runtime. Please check your runtime logs: the payload needs a "prompt"');
  return payload.data;
}
