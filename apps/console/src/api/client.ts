// The client package's types, generated from the served OpenAPI document (npm run openapi:generate).
import type { operations } from '../../../../packages/client/src/generated/openapi.js';

/** The JSON body an operation answers with `status` (types generated from the broker's OpenAPI document). */
export type View<K extends keyof operations, S extends number = 200> = S extends keyof operations[K]['responses'] ? ResponseBody<operations[K]['responses'][S]> : never;
type ResponseBody<R> = R extends {
  content: { 'application/json': infer T };
}
  ? T
  : never;

/** An RFC 9457 problem as the broker writes it (API.md §2). */
export interface Problem {
  title: string;
  status: number;
  code?: string;
  detail?: string;
  requestId?: string;
  errors?: Array<{ path: string; message: string }>;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/**
 * The signed-in credential lives in sessionStorage only: it ends with the tab,
 * is never sent as a cookie (so no CSRF), and no other tab or later visit
 * sees it.
 */
const storageKey = 'switchboard.credential';
export const credential = {
  get: (): string | null => sessionStorage.getItem(storageKey),
  set: (value: string) => sessionStorage.setItem(storageKey, value),
  clear: () => sessionStorage.removeItem(storageKey),
};

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Problem;
    if (body && typeof body.title === 'string') return body;
  } catch {
    // not problem+json: a proxy or network answer; described below
  }
  return { title: response.statusText || 'Request failed', status: response.status, detail: `the server answered ${response.status}` };
}

async function send(method: string, path: string, body?: unknown, token = credential.get()): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError({ title: 'Network error', status: 0, detail: error instanceof Error ? error.message : String(error) });
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  return response;
}

/** Calls the API with the signed-in credential (or `token`); a non-2xx answer throws its problem. */
export async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await send(method, path, body, token);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Downloads an export with the credential in the header (a plain link could not carry it). */
export async function download(path: string, fallbackName: string): Promise<{ name: string; bytes: number }> {
  const response = await send('GET', path);
  const blob = await response.blob();
  const name = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { name, bytes: blob.size };
}

/** A query string of the non-empty values. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') parameters.set(key, String(value));
  const text = parameters.toString();
  return text ? `?${text}` : '';
}
