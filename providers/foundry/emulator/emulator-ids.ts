import { randomBytes } from 'node:crypto';

export type FoundryIdPrefix = 'conv' | 'resp' | 'msg' | 'fc' | 'fco' | 'sess' | 'mcp' | 'mcpr' | 'mcpa';

/** An id shaped like the service's (`conv_` + 48 hex characters); nothing may rely on its content. */
export function newFoundryId(prefix: FoundryIdPrefix): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

/** Unix seconds, the unit of every `*_at` field on this wire. */
export const unixSeconds = (epochMs: number) => Math.floor(epochMs / 1000);
