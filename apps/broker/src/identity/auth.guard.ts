import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { forbidden } from '#libs/errors';
import { currentRequestContext } from '#libs/request-context';
import { routeSpecKey, type RouteSpec } from '../http/route-spec.js';
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
    if (spec.access.kind === 'public') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const principal = await this.resolver.resolve(spec.access, {
      authorization: request.header('authorization'),
      endUser: request.header('x-end-user'),
    });
    const requestContext = currentRequestContext();
    if (requestContext) requestContext.principal = principal;
    return true;
  }
}
