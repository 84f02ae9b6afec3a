import { setTimeout as sleep } from 'node:timers/promises';
import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import type { EmulatorLogger, EmulatorStats, FaultPlan } from '#libs/emulator-kit';
import { faultMessage, grpcStatusForHttp, RpcError, toServiceError } from './rpc-errors.js';

export interface CallContext {
  faults: FaultPlan;
  stats: EmulatorStats;
  logger: EmulatorLogger;
}

/** Real time to wait, cut short when the client goes away. Resolves false if it did. */
export function waitUnlessCancelled(call: { cancelled: boolean; once(event: 'cancelled', listener: () => void): unknown }, ms: number): Promise<boolean> {
  if (call.cancelled) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(!call.cancelled), ms);
    call.once('cancelled', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * A unary RPC counted under `op` in the stats and subject to `op`'s faults:
 * `status` answers with the gRPC status of that HTTP status, `delay` answers
 * late (doing the work even if the client gave up), `stall` never answers. `truncate` has no meaning for a unary call.
 */
export function unary<Request, Response>(context: CallContext, op: string, work: (request: Request) => Response): handleUnaryCall<Request, Response> {
  return (call: ServerUnaryCall<Request, Response>, callback) => {
    context.stats.count(op);
    void (async () => {
      const fault = context.faults.take(op);
      if (fault?.kind === 'status') throw new RpcError(grpcStatusForHttp(fault.status), faultMessage(fault.body, `injected ${fault.status} on ${op}`));
      if (fault?.kind === 'stall') return new Promise<never>(() => undefined);
      // A late answer still does the work when the caller has gone meanwhile (fault-plan.ts), as a real server would.
      if (fault?.kind === 'delay') await sleep(fault.ms, undefined, { ref: false });
      const response = work(call.request);
      return call.cancelled ? undefined : response;
    })().then(
      (response) => {
        if (response !== undefined) callback(null, response);
      },
      (error: unknown) => {
        if (!(error instanceof RpcError)) context.logger.error({ err: error, op }, 'Vertex emulator handler failed');
        callback(toServiceError(error));
      },
    );
  };
}
