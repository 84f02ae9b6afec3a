import { z } from 'zod';
import { tenantRoles } from '#libs/request-context';
import { pageOf, pageQuery } from '../http/pagination.js';
import { idParam } from '../http/id-param.js';

export const createApiKeyBody = z.strictObject({
  role: z.enum(tenantRoles),
  name: z.string().trim().min(1).max(100),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

export const apiKeyView = z.object({
  id: z.string(),
  tenantId: z.string(),
  role: z.enum(tenantRoles),
  name: z.string(),
  keyPrefix: z.string().describe('The public prefix every secret starts with (`sbk_`); no secret characters'),
  keyLast4: z.string().nullable().describe('The last four characters of the secret, to match a secret to its key; null for keys created before they were kept'),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyView>;

export const createdApiKeyView = apiKeyView.extend({
  key: z.string().describe('The secret. Shown this once and never again.'),
});
export type CreatedApiKeyView = z.infer<typeof createdApiKeyView>;

export const tenantIdParams = z.strictObject({ tenantId: idParam('ten') });
export const keyIdParams = z.strictObject({ keyId: idParam('key') });
export const listApiKeysQuery = z.strictObject({ ...pageQuery });
export const apiKeyPage = pageOf(apiKeyView);
