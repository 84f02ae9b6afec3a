import { AppError } from '#libs/errors';
import { currentRequestContext, type Principal } from '#libs/request-context';

/** The authenticated caller of the current request; the guard guarantees one on non-public routes. */
export function currentPrincipal(): Principal {
  const principal = currentRequestContext()?.principal;
  if (!principal) throw new AppError('internal', 'no authenticated principal in this context');
  return principal;
}

/** The calling tenant principal; routes that admit only tenant roles use it. */
export function currentTenantPrincipal(): Principal & { kind: 'tenant' } {
  const principal = currentPrincipal();
  if (principal.kind !== 'tenant') throw new AppError('internal', 'expected a tenant principal');
  return principal;
}
