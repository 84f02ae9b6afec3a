/** One field-level problem of a 400 `invalid_request`. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The RFC 9457 body the broker answers every error with (API.md §2), plus its extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  errors?: FieldProblem[];
  retryAfterSeconds?: number;
  [extension: string]: unknown;
}

/** Base class of every error this client throws. */
export class SwitchboardError extends Error {
  override name = 'SwitchboardError';
}

/**
 * The broker answered with a problem (any non-2xx status), or ended an event
 * stream with an `error` event. `code` is the stable machine-readable code of
 * API.md §2 (`not_found`, `limit_exceeded`, …).
 */
export class ProblemError extends SwitchboardError {
  override name = 'ProblemError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: FieldProblem[];
  /** Seconds the broker asked to wait (Retry-After header or body), when waiting helps. */
  readonly retryAfterSeconds: number | undefined;
  /** The whole problem body, extension members included (`limit`, `turn`, …). */
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails, retryAfterSeconds?: number) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.requestId = problem.requestId;
    this.errors = problem.errors ?? [];
    this.retryAfterSeconds = retryAfterSeconds ?? problem.retryAfterSeconds;
  }
}

/** The broker could not be reached, or the connection broke and the request was not safe to repeat. */
export class NetworkError extends SwitchboardError {
  override name = 'NetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
