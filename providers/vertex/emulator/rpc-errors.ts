import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** A failure the emulator answers with a gRPC status, as Vertex does. */
export class RpcError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * The canonical HTTP → gRPC mapping (google.rpc.Code), so `status` faults of
 * the shared FaultPlan keep their HTTP meaning: 429 is RESOURCE_EXHAUSTED,
 * 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, and so on.
 */
export function grpcStatusForHttp(status: number): GrpcStatus {
  const table: Record<number, GrpcStatus> = {
    400: GrpcStatus.INVALID_ARGUMENT,
    401: GrpcStatus.UNAUTHENTICATED,
    403: GrpcStatus.PERMISSION_DENIED,
    404: GrpcStatus.NOT_FOUND,
    409: GrpcStatus.ALREADY_EXISTS,
    429: GrpcStatus.RESOURCE_EXHAUSTED,
    499: GrpcStatus.CANCELLED,
    501: GrpcStatus.UNIMPLEMENTED,
    503: GrpcStatus.UNAVAILABLE,
    504: GrpcStatus.DEADLINE_EXCEEDED,
  };
  return table[status] ?? (status < 500 ? GrpcStatus.FAILED_PRECONDITION : GrpcStatus.INTERNAL);
}

/** A status the grpc-js server sends: code, details, and trailing metadata. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof RpcError) return { code: error.code, details: error.message, metadata: new Metadata() };
  return { code: GrpcStatus.INTERNAL, details: `emulator bug: ${(error as Error)?.message ?? String(error)}`, metadata: new Metadata() };
}

/** The message of a `status` fault: its body's `message` if it has one. */
export function faultMessage(body: unknown, fallback: string): string {
  const message = (body as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : fallback;
}
