/** The parts of a response tests look at. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // Tests read arbitrary members; a parse failure leaves it undefined.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Minimal real-HTTP client over fetch, with default headers. */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly defaults: Record<string, string>,
  ) {}

  with(headers: Record<string, string>): HttpClient {
    return new HttpClient(this.baseUrl, { ...this.defaults, ...headers });
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.request('GET', path, undefined, headers);
  }
  post(path: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('POST', path, body, headers);
  }
  put(path: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('PUT', path, body, headers);
  }
  patch(path: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('PATCH', path, body, headers);
  }
  delete(path: string, headers: Record<string, string> = {}) {
    return this.request('DELETE', path, undefined, headers);
  }

  /**
   * The response as it arrives, body unread (for reading a stream while it
   * runs). `body` is JSON-encoded unless it is already a string (sent as is,
   * for malformed-JSON tests).
   */
  open(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(this.baseUrl + path, {
      method,
      headers: {
        ...this.defaults,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
    const response = await this.open(method, path, body, headers);
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }
}
