import type { Transaction } from '#libs/persistence';
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, createSecretKey, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

/** The DER prefix of an Ed25519 private key in PKCS#8 (RFC 8410 §7); the 32-byte seed follows it. */
const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** HKDF labels: one configured secret, two keys that never serve each other's purpose. */
const chainKeyInfo = 'switchboard audit chain hmac-sha256 v1';
const checkpointKeyInfo = 'switchboard audit checkpoint ed25519 v1';
const cursorKeyInfo = 'switchboard pagination cursor hmac-sha256 v1';
const pseudonymKeyInfo = 'switchboard erased user pseudonym hmac-sha256 v1';
const secretSealingKeyInfo = 'switchboard stored secret aes-256-gcm v1';

const derive = (secret: Buffer, info: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));

/** A checkpoint signing key as a JWK (RFC 8037), for verifiers that hold only public keys. */
export interface CheckpointPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/**
 * One audit key: the configured secret (never stored in the database) and
 * what is derived from it with HKDF-SHA256 (RFC 5869): the HMAC-SHA256 key
 * that chains events, and the Ed25519 key that signs checkpoints, whose
 * public half consumers may hold to check checkpoints without the secret.
 */
export class AuditKey {
  private readonly chainKey: KeyObject;
  private readonly signingKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly cursorKey: KeyObject;
  private readonly pseudonymKey: KeyObject;
  private readonly sealingKey: KeyObject;

  constructor(
    readonly id: string,
    secret: Buffer,
  ) {
    this.chainKey = createSecretKey(derive(secret, chainKeyInfo));
    this.signingKey = createPrivateKey({ key: Buffer.concat([ed25519Pkcs8Prefix, derive(secret, checkpointKeyInfo)]), format: 'der', type: 'pkcs8' });
    this.publicKey = createPublicKey(this.signingKey);
    this.cursorKey = createSecretKey(derive(secret, cursorKeyInfo));
    this.pseudonymKey = createSecretKey(derive(secret, pseudonymKeyInfo));
    this.sealingKey = createSecretKey(derive(secret, secretSealingKeyInfo));
  }

  /**
   * The pseudonym an erased user's records carry (README: Retention and
   * erasure): keyed, so nobody without the secret can map a user id to it
   * (a plain digest of a guessable id would be reversible by guessing), and
   * deterministic per tenant and user, so every record of one erased user
   * (cost lines above all) still groups under one name.
   */
  pseudonym(tenantId: string, userId: string): string {
    return `erased:${createHmac('sha256', this.pseudonymKey).update(tenantId).update('\0').update(userId).digest('hex').slice(0, 32)}`;
  }

  /**
   * AES-256-GCM of a secret the broker must store and use again (a webhook's
   * signing secret), as `base64url(iv).base64url(ciphertext).base64url(tag)`.
   * `context` (the owner's id) is authenticated data: a sealed value copied
   * onto another row does not open.
   */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey, iv).setAAD(Buffer.from(context));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [iv, sealed, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
  }

  /** The plaintext of {@link seal}; throws when the value or its context was altered. */
  open(sealed: string, context: string): string {
    const [iv, data, tag] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.sealingKey, iv).setAAD(Buffer.from(context)).setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  }

  /** HMAC-SHA256 of a pagination cursor's position (http/pagination.ts), base64url: every replica with the key issues and accepts the same cursors. */
  cursorMac(position: string): string {
    return createHmac('sha256', this.cursorKey).update(position).digest('base64url');
  }

  /** HMAC-SHA256 over the parts in order, hex. */
  mac(...parts: string[]): string {
    const hmac = createHmac('sha256', this.chainKey);
    for (const part of parts) hmac.update(part);
    return hmac.digest('hex');
  }

  /** Ed25519 signature of the UTF-8 payload, base64url. */
  sign(payload: string): string {
    return sign(null, Buffer.from(payload), this.signingKey).toString('base64url');
  }

  verifies(payload: string, signature: string): boolean {
    return verify(null, Buffer.from(payload), this.publicKey, Buffer.from(signature, 'base64url'));
  }

  publicJwk(): CheckpointPublicJwk {
    const { x } = this.publicKey.export({ format: 'jwk' });
    return { kty: 'OKP', crv: 'Ed25519', x: x!, kid: this.id, alg: 'EdDSA', use: 'sig' };
  }
}

/**
 * Every audit key this broker holds, by id, and the current one (which
 * chains new events and signs new checkpoints). Older keys stay for as long
 * as events or checkpoints made with them must be verified.
 */
export class AuditKeyring {
  private readonly byId: Map<string, AuditKey>;

  constructor(
    keys: AuditKey[],
    readonly current: AuditKey,
  ) {
    this.byId = new Map(keys.map((key) => [key.id, key]));
    this.byId.set(current.id, current);
  }

  /** Every key of the ring, the current one first. */
  all(): AuditKey[] {
    return [this.current, ...[...this.byId.values()].filter((key) => key !== this.current)];
  }

  find(id: string): AuditKey | undefined {
    return this.byId.get(id);
  }

  publicJwks(): { keys: CheckpointPublicJwk[] } {
    return { keys: [...this.byId.values()].map((key) => key.publicJwk()) };
  }
}

/**
 * The keyring of each open database. Audit events are appended by free
 * functions inside the caller's transaction, from every service and from
 * boot-time seeding; binding the keyring to the database reaches them all
 * without threading it through each caller, and two brokers in one process
 * (tests) keep their own keys.
 */
const keyrings = new WeakMap<object, AuditKeyring>();

/** `database`: what the database's transactions name as theirs (`Transaction.database`: the `Database`). */
export function bindAuditKeyring(database: object, keyring: AuditKeyring): void {
  keyrings.set(database, keyring);
}

export function auditKeyringOf(tx: Transaction): AuditKeyring {
  const keyring = keyrings.get(tx.database);
  if (!keyring) throw new Error('no audit keyring is bound to this database (bindAuditKeyring at startup)');
  return keyring;
}
