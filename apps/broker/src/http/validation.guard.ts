import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { z } from 'zod';
import { invalidRequest, type FieldProblem } from '#libs/errors';
import { routeSpecKey, type RouteSpec } from './route-spec.js';
import { unstorableTextProblems } from './unstorable-text.js';

type ValidatedRequest = Request & { validated?: Record<string, unknown> };

/**
 * Validates params, query and body against the route's schemas, reporting
 * every problem of all three at once, and stores the parsed values for
 * `@Valid()`. Runs after the auth guard, so an anonymous caller learns nothing
 * about a route's schema.
 *
 * First, for every route and whatever its schemas say, the edge rule: no
 * part of the request (path params, query, the headers the route declares,
 * the JSON body at any depth, keys included) may carry text the database
 * cannot store (NUL, lone surrogates) or nest deeper than the schemas and the
 * driver can walk. Such a request is refused before its schema is even run.
 * It comes after authentication on purpose: 401 and 403 stay the first
 * answers, and the auth guard's own inputs are shape-checked where it reads
 * them: it is the second global guard, registered after `AuthGuard` (global
 * guards run in the order they are provided, and there are no route guards).
 *
 * A guard and not an interceptor because a route with no interceptor is
 * called without Nest's rxjs chain around it: an interceptor cost each
 * request fifteen objects (observables, subscribers, async resources) and
 * their closures, held for as long as a streamed turn stays open (a heap
 * snapshot at 1,000 open streams, issue 17).
 */
@Injectable()
export class ValidationGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const spec = this.reflector.get<RouteSpec | undefined>(routeSpecKey, context.getHandler());
    if (!spec) return true;
    const request = context.switchToHttp().getRequest<ValidatedRequest>();
    const unstorable = unstorableTextProblems({
      params: request.params,
      query: request.query,
      headers: Object.fromEntries(Object.keys(spec.headers ?? {}).map((name) => [name.toLowerCase(), request.header(name)])),
      body: request.body,
    });
    if (unstorable.length > 0) throw invalidRequest('the request carries text that cannot be stored', unstorable);
    const problems: FieldProblem[] = [];
    const validated: Record<string, unknown> = {};
    const parts: Array<['params' | 'query' | 'body', z.ZodType | undefined, unknown]> = [
      ['params', spec.params, request.params],
      ['query', spec.query, { ...(request.query as object) }],
      ['body', spec.body, request.body],
    ];
    for (const [part, schema, value] of parts) {
      if (!schema) continue;
      const result = schema.safeParse(part === 'body' && value === undefined ? undefined : value);
      if (result.success) {
        validated[part] = result.data;
      } else {
        for (const issue of result.error.issues) {
          const base = [part, ...issue.path.map(String)];
          if (issue.code === 'unrecognized_keys') {
            // One entry per unknown field, each at its own path.
            for (const key of issue.keys) problems.push({ path: [...base, key].join('.'), message: 'unknown field' });
          } else {
            problems.push({ path: base.join('.'), message: issue.message });
          }
        }
      }
    }
    if (problems.length > 0) {
      throw invalidRequest(`the request has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
    }
    request.validated = validated;
    return true;
  }
}
