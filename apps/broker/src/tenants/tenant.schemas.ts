import { z } from 'zod';
import { pageOf, pageQuery } from '../http/pagination.js';

export const tenantName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, underscore and hyphen; starting with a letter or digit');

export const createTenantBody = z.strictObject({ name: tenantName }).meta({ id: 'CreateTenantRequest' });
export type CreateTenantBody = z.infer<typeof createTenantBody>;

export const tenantView = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).meta({ id: 'Tenant' });
export type TenantView = z.infer<typeof tenantView>;

export const listTenantsQuery = z.strictObject({ ...pageQuery });
export const tenantPage = pageOf(tenantView).meta({ id: 'TenantPage' });
