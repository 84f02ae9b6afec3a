import { randomFillSync } from 'node:crypto';

/** Crockford base32, lower case: no i, l, o, u. */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

export const idPrefixes = ['ten', 'agt', 'ses', 'trn', 'evt', 'key', 'req', 'aud', 'tgr', 'whk', 'msg'] as const;
export type IdPrefix = (typeof idPrefixes)[number];

/**
 * Random bytes drawn from the system source in batches: a `randomBytes`
 * call per id is a system call each, and a turn mints several ids
 * (issue 17). The bytes are the same secure random, used once each.
 */
const randomPool = new Uint8Array(4096);
let randomPoolOffset = randomPool.length;

function freshRandom(length: number): Uint8Array {
  if (randomPoolOffset + length > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const bytes = randomPool.slice(randomPoolOffset, randomPoolOffset + length);
  randomPoolOffset += length;
  return bytes;
}

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

function encode(bytes: Uint8Array, length: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out.slice(0, length);
}

/**
 * A ULID-style identifier: 48 bits of milliseconds then 80 random bits, so ids
 * minted later sort later (cursor pagination relies on it). Within one
 * millisecond the random part is incremented, keeping the order strict inside
 * this process.
 */
export function newId(prefix: IdPrefix, now = Date.now()): `${IdPrefix}_${string}` {
  let random: Uint8Array;
  if (now <= lastTime) {
    random = lastRandom.slice();
    for (let index = random.length - 1; index >= 0; index--) {
      random[index] = (random[index] + 1) & 0xff;
      if (random[index] !== 0) break;
    }
    now = lastTime;
  } else {
    random = freshRandom(10);
  }
  lastTime = now;
  lastRandom = random;
  const time = new Uint8Array(6);
  let remaining = now;
  for (let index = 5; index >= 0; index--) {
    time[index] = remaining % 256;
    remaining = Math.floor(remaining / 256);
  }
  const bytes = new Uint8Array(16);
  bytes.set(time, 0);
  bytes.set(random, 6);
  return `${prefix}_${encode(bytes, 26)}`;
}

const idPattern = /^[a-z]{3}_[0-9a-hjkmnp-tv-z]{26}$/;

/** Whether `value` looks like an id this broker minted with `prefix`. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && idPattern.test(value);
}
