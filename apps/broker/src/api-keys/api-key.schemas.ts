import { z } from 'zod';
import { tenantRoles } from '#libs/request-context';
import { pageOf, pageQuery } from '../http/pagination.js';
import { idParam } from '../http/id-param.js';

const expiresAt = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
  .describe('RFC 3339; after it the key answers 401 on every replica within 1 s');

export const createApiKeyBody = z.strictObject({
  role: z.enum(tenantRoles),
  name: z.string().trim().min(1).max(100),
  expiresAt: expiresAt.optional(),
}).meta({ id: 'CreateApiKeyRequest' });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

/** The longest grace a rotation gives the old secret (a week: enough for any deployment to roll). */
export const maxRotationGraceSeconds = 7 * 24 * 3600;

export const rotateApiKeyBody = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(maxRotationGraceSeconds)
    .default(3600)
    .describe('How long the old secret keeps working (default 3600, at most a week; never past its own expiry)'),
  expiresAt: expiresAt.optional().describe('The new key\'s expiry (RFC 3339), if it should have one'),
}).meta({ id: 'RotateApiKeyRequest' });
export type RotateApiKeyBody = z.infer<typeof rotateApiKeyBody>;

export const apiKeyView = z.object({
  id: z.string(),
  tenantId: z.string(),
  role: z.enum(tenantRoles),
  name: z.string(),
  keyPrefix: z.string().describe('The public prefix every secret starts with (`sbk_`); no secret characters'),
  keyLast4: z.string().nullable().describe('The last four characters of the secret, to match a secret to its key; null for keys created before they were kept'),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  expiresAt: z.string().nullable().describe('When the key stops working (creation, or the end of a rotation\'s grace)'),
  lastUsedAt: z.string().nullable().describe('The last authenticated use, to the minute'),
  replacedBy: z.string().nullable().describe('The key a rotation replaced this one with'),
}).meta({ id: 'ApiKey' });
export type ApiKeyView = z.infer<typeof apiKeyView>;

export const createdApiKeyView = apiKeyView.extend({
  key: z.string().describe('The secret. Shown this once and never again.'),
}).meta({ id: 'CreatedApiKey' });
export type CreatedApiKeyView = z.infer<typeof createdApiKeyView>;

export const tenantIdParams = z.strictObject({ tenantId: idParam('ten') });
export const keyIdParams = z.strictObject({ keyId: idParam('key') });
export const listApiKeysQuery = z.strictObject({
  ...pageQuery,
  tenant: idParam('ten').optional().describe('The tenant whose keys to list: required for the platform operator, ignored for a tenant admin'),
});
export const apiKeyPage = pageOf(apiKeyView).meta({ id: 'ApiKeyPage' });
