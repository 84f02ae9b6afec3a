import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { readJsonBody, type EmulatorClock, type EmulatorLogger, type EmulatorStats, type Fault } from '#libs/emulator-kit';
import type { SessionLifecycle } from './session-lifecycle.js';
import type { SessionStore } from './session-store.js';
import type { SetupRegistry } from './setup-registry.js';
import type { TurnRunner } from './turn-runner.js';

/** Everything a route handler may use. */
export interface EmulatorServices {
  clock: EmulatorClock;
  stats: EmulatorStats;
  logger: EmulatorLogger;
  setup: SetupRegistry;
  store: SessionStore;
  runner: TurnRunner;
  lifecycle: SessionLifecycle;
}

export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The fault drawn for this call; only streaming routes see one, the router plays it for the others. */
  fault?: Fault;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** `:name` segments become `params.name`. */
  path: string;
  /** The operation name used for stats and faults, e.g. `sessions.create`. */
  op: string;
  /** The handler writes its own response (an event stream) instead of returning a JSON body. */
  streaming?: boolean;
  handle(call: RouteCall): unknown;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Matches a request line against the routes, first hit wins. */
export function routeMatcher(routes: readonly Route[]): (method: string, pathname: string) => RouteMatch | undefined {
  const compiled = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/:(\w+)/g, (_segment, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route, names, pattern: new RegExp(`^${source}$`) };
  });
  return (method, pathname) => {
    for (const { route, names, pattern } of compiled) {
      const found = route.method === method ? pattern.exec(pathname) : null;
      if (found) return { route, params: Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])])) };
    }
    return undefined;
  };
}

/** Parses the JSON body with `schema`; a missing body counts as `{}`. */
export async function readBody<Schema extends z.ZodType>(call: RouteCall, schema: Schema): Promise<z.infer<Schema>> {
  return schema.parse((await readJsonBody(call.req)) ?? {});
}
