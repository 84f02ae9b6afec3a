import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { forbidden } from '#libs/errors';
import { currentRequestContext } from '#libs/request-context';
import { routeSpecKey, successStatusOf, type RouteSpec } from '../http/route-spec.js';
import { routeTemplate } from '../metrics/metrics.js';
import { CredentialResolver } from './credential-resolver.js';

/**
 * Global guard: every route declares its access rule in its RouteSpec; a
 * route without one is refused, so forgetting it fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: CredentialResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const spec = this.reflector.get<RouteSpec | undefined>(routeSpecKey, context.getHandler());
    if (!spec) throw forbidden('this route declares no access rule');
    const request = context.switchToHttp().getRequest<Request>();
    const requestContext = currentRequestContext();
    if (requestContext) requestContext.http = httpOf(request, spec);
    if (spec.access.kind === 'public') return true;
    const principal = await this.resolver.resolve(spec.access, {
      authorization: request.header('authorization'),
      endUser: request.header('x-end-user'),
    });
    if (requestContext) requestContext.principal = principal;
    return true;
  }
}

/** An IPv4 client on a dual-stack socket reads `::ffff:a.b.c.d`: SIEMs match the plain form. */
const plainIp = (ip: string | undefined) => (ip?.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip) ?? null;

/** The matched operation and the client address (`request.ip` honours the trust-proxy setting). */
function httpOf(request: Request, spec: RouteSpec): NonNullable<ReturnType<typeof currentRequestContext>>['http'] {
  const clientIp = plainIp(request.ip);
  const peerIp = plainIp(request.socket.remoteAddress);
  return {
    method: request.method,
    route: routeTemplate(request),
    operationId: spec.operationId,
    successStatus: successStatusOf(spec),
    clientIp,
    clientPort: clientIp !== null && clientIp === peerIp ? (request.socket.remotePort ?? null) : null,
  };
}
