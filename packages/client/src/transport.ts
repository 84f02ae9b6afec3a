import { NetworkError, ProblemError, type ProblemDetails } from './errors.js';

/** How a client reaches the broker. */
export interface ClientOptions {
  /** The broker's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** An API key (`sbk_…`), the operator key, or a JWT. */
  apiKey: string;
  /** `X-End-User` for session routes (app keys), unless a call names its own. */
  endUser?: string;
  /** Repeats of a request the broker asked to retry (429/503 with Retry-After) or that lost its connection; default 2. */
  maxRetries?: number;
  /** The longest Retry-After this client waits before giving up with the problem; default 30 s. */
  maxRetryDelayMs?: number;
  /** Another fetch (tests, proxies, instrumentation); default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Per-call options every method takes last. */
export interface CallOptions {
  /** `X-End-User` for this call (overrides the client's). */
  endUser?: string;
  /** Used instead of a generated `Idempotency-Key` (creates and turns). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send an Idempotency-Key (the caller's or a new one): the request becomes safe to repeat. */
  idempotent?: boolean;
  accept?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });

/** A fresh Idempotency-Key (Web Crypto: Node 22+ and browsers). */
export const newIdempotencyKey = (): string => crypto.randomUUID();

/** Builds `/a/{id}` paths with each segment encoded. */
export const route = (strings: TemplateStringsArray, ...segments: string[]): string =>
  strings.reduce((path, part, index) => path + part + (index < segments.length ? encodeURIComponent(segments[index]) : ''), '');

/**
 * The one place requests are made: headers, Idempotency-Key, the retry rule
 * of API.md (only 429/503 that carry Retry-After, and only requests that are
 * safe to repeat: GET/PUT/DELETE or carrying an Idempotency-Key), and
 * problem+json turned into ProblemError.
 */
export class Transport {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The response of a successful request (2xx), body unread. */
  async open(spec: RequestSpec, call: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}`, accept: spec.accept ?? 'application/json', ...spec.headers };
    const endUser = call.endUser ?? this.options.endUser;
    if (endUser !== undefined) headers['x-end-user'] = endUser;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.idempotent) headers['idempotency-key'] = call.idempotencyKey ?? newIdempotencyKey();
    const repeatable = spec.method === 'GET' || spec.method === 'PUT' || spec.method === 'DELETE' || spec.idempotent === true;
    const url = this.url(spec.path, spec.query);
    const maxRetries = this.options.maxRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method: spec.method,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal: call.signal,
        });
      } catch (error) {
        if (call.signal?.aborted) throw error;
        // The request may or may not have reached the broker: repeat it only when that is harmless.
        if (repeatable && attempt < maxRetries) {
          await sleep(250 * 2 ** attempt, call.signal);
          continue;
        }
        throw new NetworkError(`${spec.method} ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (response.ok) return response;
      const problem = await problemOf(response);
      const waitSeconds = retryAfterSeconds(response);
      const retryable = (response.status === 429 || response.status === 503) && waitSeconds !== undefined;
      if (retryable && repeatable && attempt < maxRetries && waitSeconds * 1000 <= (this.options.maxRetryDelayMs ?? 30_000)) {
        await sleep(waitSeconds * 1000, call.signal);
        continue;
      }
      throw new ProblemError(problem, waitSeconds);
    }
  }

  /** A successful request's JSON body (undefined for 204). */
  async json<T>(spec: RequestSpec, call?: CallOptions): Promise<T> {
    const response = await this.open(spec, call);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private url(path: string, query: Record<string, QueryValue> = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) search.set(name, String(value));
    const text = search.toString();
    return `${this.baseUrl}${path}${text ? `?${text}` : ''}`;
  }
}

function retryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** The problem a failed response carries; a body that is not problem+json (a proxy's page) still becomes one. */
export async function problemOf(response: Response): Promise<ProblemDetails> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ProblemDetails>;
    if (typeof body === 'object' && body !== null && typeof body.code === 'string') {
      return { type: 'about:blank', title: response.statusText, status: response.status, ...body } as ProblemDetails;
    }
  } catch {
    // not JSON: described below
  }
  return {
    type: 'about:blank',
    title: response.statusText || 'Unexpected response',
    status: response.status,
    code: 'unexpected_response',
    detail: text.slice(0, 500) || `HTTP ${response.status}`,
    requestId: response.headers.get('x-request-id') ?? undefined,
  };
}
