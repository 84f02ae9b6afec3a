export { runWithRequestContext, currentRequestContext, currentRequestId, tenantRoles } from './request-context.js';
export type { RequestContext, Principal, TenantRole } from './request-context.js';
