import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAuditKeys, type AuditConfig, type AuditKeySecret } from '#libs/config';
import { inMemoryDataDir } from '#libs/persistence';
import { AuditKey, AuditKeyring } from './audit-keyring.js';

/** Where a development key lives, relative to the data dir. Same format as SWITCHBOARD_AUDIT_KEYS. */
export const developmentKeyFileName = 'audit-keys';

export interface LoadedAuditKeys {
  keyring: AuditKeyring;
  /** Set when no key was configured and a development key is used: where it is kept (undefined: in memory only). */
  development: { keyFile: string | undefined; generated: boolean } | undefined;
}

/**
 * The configured keys, or else a development key: generated once and kept
 * in the data dir (`memory://`: in this process only), never in the
 * database. A development key protects nothing from whoever can read that
 * folder; production configures SWITCHBOARD_AUDIT_KEYS (README: Audit
 * integrity).
 */
export function loadAuditKeys(config: AuditConfig): LoadedAuditKeys {
  if (config.keys) return { keyring: keyringOf(config.keys.all, config.keys.currentId), development: undefined };
  if (config.devKeyDir === inMemoryDataDir) return { keyring: keyringOf([generateDevelopmentKey()]), development: { keyFile: undefined, generated: true } };
  const keyFile = path.resolve(config.devKeyDir, developmentKeyFileName);
  try {
    const { keys, generated } = readOrCreateKeyFile(keyFile);
    return { keyring: keyringOf(keys), development: { keyFile, generated } };
  } catch (error) {
    throw new Error(
      `SWITCHBOARD_AUDIT_KEYS is not set and the development audit key ${keyFile} cannot be read or created (${(error as Error).message}): ` +
        'set SWITCHBOARD_AUDIT_KEYS, or point SWITCHBOARD_DATA_DIR at a folder this process can write',
      { cause: error },
    );
  }
}

function keyringOf(secrets: AuditKeySecret[], currentId = secrets[0].id): AuditKeyring {
  const keys = secrets.map((secret) => new AuditKey(secret.id, secret.secret));
  return new AuditKeyring(keys, keys.find((key) => key.id === currentId)!);
}

/** A fresh key whose id names it (`dev-` + a digest prefix), so two machines' development keys never share an id. */
function generateDevelopmentKey(): AuditKeySecret {
  const secret = randomBytes(32);
  return { id: `dev-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`, secret };
}

/**
 * Reads the key file, or creates it atomically (written aside, then
 * hard-linked into place, which fails if another process got there first),
 * so brokers and test processes starting together on one folder agree on
 * one key.
 */
function readOrCreateKeyFile(keyFile: string): { keys: AuditKeySecret[]; generated: boolean } {
  let generated = false;
  if (!existsSync(keyFile)) {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    const key = generateDevelopmentKey();
    const aside = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(aside, `${key.id}:${key.secret.toString('base64')}\n`, { mode: 0o600 });
    try {
      linkSync(aside, keyFile);
      generated = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(aside, { force: true });
    }
  }
  const { keys, problems } = parseAuditKeys(readFileSync(keyFile, 'utf8'));
  if (problems.length > 0) throw new Error(`it is not valid: ${problems.join('; ')}`);
  return { keys, generated };
}
