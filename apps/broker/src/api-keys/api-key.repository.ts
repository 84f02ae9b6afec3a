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
}

const columns = 'id, tenant_id, name, role, key_prefix, key_last4, created_at, revoked_at';

const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  role: row.role,
  keyPrefix: row.key_prefix,
  keyLast4: row.key_last4,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** API keys. Only the SHA-256 of a secret is ever stored. */
export class ApiKeyRepository {
  constructor(private readonly tx: Transaction) {}

  async insert(key: { id: string; tenantId: string; name: string; role: TenantRole; keyHash: Buffer; keyPrefix: string; keyLast4: string }): Promise<ApiKey> {
    const [row] = await this.tx.rows<ApiKeyRow>(
      `INSERT INTO api_keys (id, tenant_id, name, role, key_hash, key_prefix, key_last4) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
      [key.id, key.tenantId, key.name, key.role, key.keyHash, key.keyPrefix, key.keyLast4],
    );
    return toApiKey(row);
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
