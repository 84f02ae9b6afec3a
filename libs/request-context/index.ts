export { runWithRequestContext, currentRequestContext, currentRequestId, tenantRoles } from './request-context.js';
export type { RequestContext, RequestHttp, Principal, TenantRole } from './request-context.js';
