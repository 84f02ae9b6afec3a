import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { isolationClasses, providerIds } from '#libs/runtime-spec';
import { tenantRoles } from '#libs/request-context';
import { problemResponses } from '../http/problem-responses.js';
import { Route } from '../http/route-spec.js';
import { RuntimeRegistry } from './runtime-registry.js';

const providerView = z.object({
  id: z.enum(providerIds),
  isolation: z.enum(isolationClasses),
  idleTimeoutMaxSeconds: z.number().int(),
  maxLifetimeSeconds: z.number().int(),
  mode: z.enum(['live', 'emulated']),
  /** Emulated runtimes only: a target that works against the emulator (API.md §3), shaped as the runtime's agent target. */
  sampleTarget: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'Provider' });

@Controller('v1/providers')
export class ProvidersController {
  constructor(private readonly registry: RuntimeRegistry) {}

  @Get()
  @Route({
    operationId: 'listProviders',
    summary: 'The registered runtimes, their isolation class and lifecycle ceilings',
    tag: 'Providers',
    access: { kind: 'tenant', roles: tenantRoles, operator: true },
    responses: { 200: { description: 'Registered runtimes', schema: z.object({ data: z.array(providerView) }).meta({ id: 'ProviderList' }) }, ...problemResponses(401) },
  })
  list() {
    return { data: this.registry.providerViews() };
  }
}
