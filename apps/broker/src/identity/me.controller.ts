import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { Database } from '#libs/persistence';
import { tenantRoles } from '#libs/request-context';
import { problemResponses } from '../http/problem-responses.js';
import { Route } from '../http/route-spec.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { currentPrincipal } from './principal.js';

const meView = z.object({
  role: z.enum([...tenantRoles, 'operator']),
  tenant: z.object({ id: z.string(), name: z.string() }).nullable(),
  user: z.string().nullable(),
  credential: z.object({ kind: z.enum(['api_key', 'jwt', 'operator_key']), id: z.string() }),
}).meta({ id: 'Me' });

@Controller('v1/me')
export class MeController {
  constructor(private readonly database: Database) {}

  @Get()
  @Route({
    operationId: 'getMe',
    summary: "The caller's tenant, role and user",
    tag: 'Identity',
    access: { kind: 'tenant', roles: tenantRoles, operator: true },
    headers: { 'X-End-User': { description: 'The end user an app key acts for', required: false } },
    responses: { 200: { description: 'Who the caller is', schema: meView }, ...problemResponses(400, 401) },
  })
  async get(): Promise<z.infer<typeof meView>> {
    const principal = currentPrincipal();
    if (principal.kind === 'operator') return { role: 'operator', tenant: null, user: null, credential: principal.credential };
    const tenant = await this.database.inTenant(principal.tenantId, (manager) => new TenantRepository(manager).findById(principal.tenantId));
    return {
      role: principal.role,
      tenant: tenant ? { id: tenant.id, name: tenant.name } : null,
      user: principal.userId ?? null,
      credential: principal.credential,
    };
  }
}
