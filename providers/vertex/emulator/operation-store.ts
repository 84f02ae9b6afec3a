import { status as GrpcStatus } from '@grpc/grpc-js';
import { RpcError } from './rpc-errors.js';

type PackedAny = { type_url: string; value: Buffer };

interface PendingOperation {
  name: string;
  response: PackedAny;
}

/**
 * Long-running operations of createSession / deleteSession. Each is answered
 * `done: false` first and completes at its first poll, so the SDK's
 * `operation.promise()` really goes through google.longrunning.Operations.
 */
export class OperationStore {
  private readonly operations = new Map<string, PendingOperation>();
  private sequence = 0;

  /** Records an operation under `resource` and returns its first (not done) state. */
  start(resource: string, response: PackedAny): { name: string; done: boolean } {
    const name = `${resource}/operations/${++this.sequence}`;
    this.operations.set(name, { name, response });
    return { name, done: false };
  }

  /** `GetOperation`: done, with its response, from the first poll on. */
  poll(name: string): { name: string; done: boolean; response?: PackedAny } {
    const operation = this.operations.get(name);
    if (!operation) throw new RpcError(GrpcStatus.NOT_FOUND, `Operation ${name} not found.`);
    return { name, done: true, response: operation.response };
  }
}
