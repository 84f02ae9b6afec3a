import type { AppConfig } from '#libs/config';
import { keyedAuditChainMigration } from '#migrations';
import type { OpenedDatabase } from '../database/open-database.js';
import { logger } from '../logging/logger.js';
import { loadAuditKeys } from './audit-key-source.js';
import { AuditCheckpoints } from './audit-checkpoints.js';
import { bindAuditKeyring, type AuditKeyring } from './audit-keyring.js';
import { bindCursorKeys } from '../http/pagination.js';

export interface AuditIntegrity {
  keyring: AuditKeyring;
  checkpoints: AuditCheckpoints;
}

/**
 * Readies the keyed audit chain on an opened database: loads the keys
 * (saying loudly when a development key stands in for configured ones),
 * binds them to the database for every append, and, when this process has
 * just applied the keyed-chain migration, anchors the legacy chains as they
 * stand at the upgrade. Run by the broker and by `npm run migrate`.
 */
export async function prepareAuditIntegrity(config: AppConfig, opened: OpenedDatabase): Promise<AuditIntegrity> {
  const { keyring, development } = loadAuditKeys(config.audit);
  if (development) {
    logger.warn(
      { component: 'audit', keyId: keyring.current.id, keyFile: development.keyFile ?? 'memory', generated: development.generated },
      'SWITCHBOARD_AUDIT_KEYS is not set: the audit chain is keyed with a DEVELOPMENT key ' +
        `${development.keyFile ? `kept in ${development.keyFile}` : 'held in memory only (memory:// data dir)'}. ` +
        'Whoever can read it can rewrite the audit log undetected: production must set SWITCHBOARD_AUDIT_KEYS (README: Audit integrity).',
    );
  }
  bindAuditKeyring(opened.database, keyring);
  // Pagination cursors are signed with a key derived from the same secret: shared by every replica.
  bindCursorKeys(keyring);
  const checkpoints = new AuditCheckpoints(opened.database, keyring, config.audit.checkpointIntervalMs);
  if (opened.appliedMigrations.includes(keyedAuditChainMigration)) {
    const anchored = await checkpoints.anchorLegacyChains();
    logger.info({ component: 'audit', anchored }, `audit: anchored ${anchored} legacy chain(s) with a signed checkpoint at the upgrade`);
  }
  return { keyring, checkpoints };
}
