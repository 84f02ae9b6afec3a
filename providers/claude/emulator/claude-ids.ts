import { randomInt } from 'node:crypto';

const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export type ClaudeIdPrefix = 'sesn' | 'sevt' | 'agent' | 'env' | 'req';

/**
 * An id shaped like the real API's (`sesn_011CZkZAtmR3yMPDzynEDxu7`): the
 * prefix, `011C`, then 20 base58 characters. Nothing may rely on their order.
 */
export function newClaudeId(prefix: ClaudeIdPrefix): string {
  let suffix = '';
  for (let index = 0; index < 20; index++) suffix += base58[randomInt(base58.length)];
  return `${prefix}_011C${suffix}`;
}
