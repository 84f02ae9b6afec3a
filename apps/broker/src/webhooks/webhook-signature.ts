import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks 1.0 (https://www.standardwebhooks.com, spec/standard-webhooks.md
 * "Signature scheme"): the secret is `whsec_` + base64 of random key bytes
 * (24–64 bytes; ours are 32), the HMAC key is those decoded bytes, the signed
 * content is `{webhook-id}.{webhook-timestamp}.{body}` and the header value is
 * `v1,` + base64 of the HMAC-SHA256.
 */
export const webhookSecretPrefix = 'whsec_';

export function newWebhookSecret(): string {
  return webhookSecretPrefix + randomBytes(32).toString('base64');
}

export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(webhookSecretPrefix.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}
