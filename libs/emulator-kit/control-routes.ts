import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EmulatorClock } from './emulator-clock.js';
import type { EmulatorStats } from './emulator-stats.js';
import { faultSchema, type FaultPlan } from './fault-plan.js';
import { readJsonBody, RequestBodyError, sendJson } from './http-helpers.js';

/** Every control route lives under this prefix, out of the way of any provider path. */
export const controlPrefix = '/_emulator/';

export interface ControlContext {
  clock: EmulatorClock;
  faults: FaultPlan;
  stats: EmulatorStats;
}

const addFaultBody = z.object({ op: z.string().min(1), fault: faultSchema });
const advanceBody = z.object({ ms: z.number().nonnegative().finite() });

type ControlRoute = (req: IncomingMessage, context: ControlContext) => Promise<{ status: number; body?: unknown }>;

const routes: Record<string, ControlRoute> = {
  'POST faults': async (req, { faults }) => {
    const { op, fault } = addFaultBody.parse(await readJsonBody(req));
    faults.add(op, fault);
    return { status: 201, body: { op, pending: faults.pending(op) } };
  },
  'DELETE faults': async (_req, { faults }) => {
    faults.clear();
    return { status: 204 };
  },
  'POST clock/advance': async (req, { clock }) => {
    clock.advance(advanceBody.parse(await readJsonBody(req)).ms);
    return { status: 200, body: { now: clock.now(), offsetMs: clock.offset } };
  },
  'GET stats': async (_req, { stats }) => ({ status: 200, body: stats.snapshot() }),
  'GET holds': async (_req, { faults }) => ({ status: 200, body: { holding: faults.holding() } }),
  'POST release': async (_req, { faults }) => ({ status: 200, body: { released: faults.release() } }),
  // The clock is left alone: moving it back would put handed-out timestamps in the future.
  'POST reset': async (_req, { faults, stats }) => {
    faults.clear();
    stats.reset();
    return { status: 204 };
  },
};

/**
 * Serves the test control plane shared by the HTTP emulators:
 * `POST /_emulator/faults {op, fault}`, `DELETE /_emulator/faults`,
 * `POST /_emulator/clock/advance {ms}`, `GET /_emulator/stats`,
 * `GET /_emulator/holds` (work held by `hold` faults), `POST /_emulator/release`
 * (lets it all go on), `POST /_emulator/reset`. Returns false, untouched, for any other path so
 * the emulator can route it.
 */
export async function handleControlRequest(req: IncomingMessage, res: ServerResponse, context: ControlContext): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://emulator').pathname;
  if (!path.startsWith(controlPrefix)) return false;
  const route = routes[`${req.method} ${path.slice(controlPrefix.length)}`];
  if (!route) {
    sendJson(res, 404, { error: `no control route ${req.method} ${path}` });
    return true;
  }
  try {
    const { status, body } = await route(req, context);
    sendJson(res, status, body);
  } catch (error) {
    if (error instanceof z.ZodError) sendJson(res, 400, { error: z.prettifyError(error) });
    else if (error instanceof RequestBodyError) sendJson(res, error.reason === 'too_large' ? 413 : 400, { error: error.message });
    else throw error;
  }
  return true;
}
