import type { Database, Transaction } from '#libs/persistence';
import type { TenantRole } from '#libs/request-context';

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  role: TenantRole;
  keyPrefix: string;
  /** Null for keys made before the last four characters were kept (their first twelve were, and are gone). */
  keyLast4: string | null;
  createdAt: Date;
  revokedAt: Date | null;
  /** After this instant the key is refused (set at creation, or by a rotation's grace period). */
  expiresAt: Date | null;
  /** Minute precision. */
  lastUsedAt: Date | null;
  /** The key a rotation replaced this one with. */
  replacedBy: string | null;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: TenantRole;
  key_prefix: string;
  key_last4: string | null;
  key_hash?: Buffer;
  created_at: Date;
  revoked_at: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  replaced_by: string | null;
}

const columns = 'id, tenant_id, name, role, key_prefix, key_last4, created_at, revoked_at, expires_at, last_used_at, replaced_by';

const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  role: row.role,
  keyPrefix: row.key_prefix,
  keyLast4: row.key_last4,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  replacedBy: row.replaced_by,
});

/** API keys. Only the SHA-256 of a secret is ever stored. */
export class ApiKeyRepository {
  constructor(private readonly tx: Transaction) {}

  async insert(key: { id: string; tenantId: string; name: string; role: TenantRole; keyHash: Buffer; keyPrefix: string; keyLast4: string; expiresAt: Date | null }): Promise<ApiKey> {
    const [row] = await this.tx.rows<ApiKeyRow>(
      `INSERT INTO api_keys (id, tenant_id, name, role, key_hash, key_prefix, key_last4, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
      [key.id, key.tenantId, key.name, key.role, key.keyHash, key.keyPrefix, key.keyLast4, key.expiresAt],
    );
    return toApiKey(row);
  }

  /**
   * Retires a key in favour of `replacementId`: it keeps working for
   * `graceSeconds` (never past an earlier expiry), then is refused. Returns
   * undefined when the key cannot be rotated (revoked, expired, or rotated
   * already: only the newest key of a chain rotates), after locking it so
   * two rotations of one key cannot both succeed.
   */
  async retire(id: string, replacementId: string, graceSeconds: number): Promise<ApiKey | undefined> {
    const rows = await this.tx.rows<ApiKeyRow>(
      `UPDATE api_keys SET replaced_by = $2,
         expires_at = least(coalesce(expires_at, 'infinity'::timestamptz), now() + make_interval(secs => $3))
       WHERE id = $1 AND replaced_by IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
       RETURNING ${columns}`,
      [id, replacementId, graceSeconds],
    );
    return rows[0] && toApiKey(rows[0]);
  }

  /** Records a use at minute precision; a use in the same minute writes nothing. */
  async touch(id: string): Promise<void> {
    await this.tx.count(
      `UPDATE api_keys SET last_used_at = date_trunc('minute', now())
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < date_trunc('minute', now()))`,
      [id],
    );
  }

  /** True for exactly one caller, across replicas: the first to refuse the expired key, who audits it. */
  async claimExpiryAudit(id: string): Promise<boolean> {
    return (await this.tx.count(`UPDATE api_keys SET expiry_audited = true WHERE id = $1 AND NOT expiry_audited AND expires_at <= now()`, [id])) > 0;
  }

  async findById(id: string): Promise<ApiKey | undefined> {
    const rows = await this.tx.rows<ApiKeyRow>(`SELECT ${columns} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] && toApiKey(rows[0]);
  }

  /** Marks the key revoked (keeping the first revocation time) and returns it. */
  async markRevoked(id: string): Promise<ApiKey | undefined> {
    const rows = await this.tx.rows<ApiKeyRow>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${columns}`,
      [id],
    );
    return rows[0] && toApiKey(rows[0]);
  }

  async listAfter(afterId: string | null, limit: number): Promise<ApiKey[]> {
    const rows = await this.tx.rows<ApiKeyRow>(
      `SELECT ${columns} FROM api_keys WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [afterId, limit + 1],
    );
    return rows.map(toApiKey);
  }
}

/**
 * The key with this hash, revoked or not, with its stored hash for a
 * constant-time comparison. Runs before the tenant is known (authentication).
 */
export async function findApiKeyByHash(database: Database, keyHash: Buffer): Promise<(ApiKey & { keyHash: Buffer }) | undefined> {
  const rows = await database.platformRead<ApiKeyRow>(`SELECT ${columns}, key_hash FROM api_keys WHERE key_hash = $1`, [keyHash]);
  return rows[0] && { ...toApiKey(rows[0]), keyHash: rows[0].key_hash! };
}
