import type { Database } from '#libs/persistence';
import { hashApiKeySecret, mintApiKeySecret, sameHash } from './api-key-secret.js';

const settingKey = 'operator_key_sha256';

/**
 * The platform operator's credential. From `SWITCHBOARD_ADMIN_KEY` when set;
 * otherwise generated on a fresh database, its hash stored, and the secret
 * returned once so the boot can print it. It is never stored in clear.
 */
export class OperatorKey {
  private constructor(private readonly hash: Buffer) {}

  matches(secret: string): boolean {
    return sameHash(hashApiKeySecret(secret), this.hash);
  }

  /** Runs at boot, before any request, as the login role (platform_settings has no grant for the request role). */
  static async load(database: Database, configured: string | undefined): Promise<{ key: OperatorKey; generatedSecret?: string }> {
    if (configured) return { key: new OperatorKey(hashApiKeySecret(configured)) };
    const rows = await database.query<{ value: string }>(`SELECT value FROM platform_settings WHERE key = $1`, [settingKey]);
    if (rows.length > 0) return { key: new OperatorKey(Buffer.from(rows[0].value, 'hex')) };
    const secret = mintApiKeySecret();
    const hash = hashApiKeySecret(secret);
    const inserted = await database.query<unknown>(
      `INSERT INTO platform_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
      [settingKey, JSON.stringify(hash.toString('hex'))],
    );
    if (inserted.length === 0) return OperatorKey.load(database, configured); // another replica won the race
    return { key: new OperatorKey(hash), generatedSecret: secret };
  }
}
