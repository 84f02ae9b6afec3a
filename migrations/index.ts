import { Foundation1763700000000 } from './1763700000000-Foundation.js';
import { Turns1763700100000 } from './1763700100000-Turns.js';
import { AuditQueries1763700200000 } from './1763700200000-AuditQueries.js';
import { Metering1763700300000 } from './1763700300000-Metering.js';
import { Limits1763700400000 } from './1763700400000-Limits.js';
import { TurnEndIndex1763700500000 } from './1763700500000-TurnEndIndex.js';
import { PriceBookAuthors1763700600000 } from './1763700600000-PriceBookAuthors.js';
import { AuditIntegrity1763700900000 } from './1763700900000-AuditIntegrity.js';
import { ApiKeyLastFour1763701000000 } from './1763701000000-ApiKeyLastFour.js';
import { TargetGrants1763701100000 } from './1763701100000-TargetGrants.js';
import { AuditHttpOrigin1763701400000 } from './1763701400000-AuditHttpOrigin.js';
import { PromptCachePrices1763701520000 } from './1763701520000-PromptCachePrices.js';
import { TurnIdempotencyKeys1763701525000 } from './1763701525000-TurnIdempotencyKeys.js';
import { ApiKeyLifecycle1763701527000 } from './1763701527000-ApiKeyLifecycle.js';
import { TurnReplicas1763701725000 } from './1763701725000-TurnReplicas.js';
import { MeteringProvenance1763701823000 } from './1763701823000-MeteringProvenance.js';
import { ToolApprovals1763701925000 } from './1763701925000-ToolApprovals.js';
import { Webhooks1763702100000 } from './1763702100000-Webhooks.js';
import { Erasure1763702200000 } from './1763702200000-Erasure.js';

/** Every migration, in order (one per line). Never edit one that has landed; add a new one. */
export const migrations = [
  Foundation1763700000000,
  Turns1763700100000,
  AuditQueries1763700200000,
  Metering1763700300000,
  Limits1763700400000,
  TurnEndIndex1763700500000,
  PriceBookAuthors1763700600000,
  AuditIntegrity1763700900000,
  ApiKeyLastFour1763701000000,
  TargetGrants1763701100000,
  AuditHttpOrigin1763701400000,
  PromptCachePrices1763701520000,
  TurnIdempotencyKeys1763701525000,
  ApiKeyLifecycle1763701527000,
  TurnReplicas1763701725000,
  MeteringProvenance1763701823000,
  ToolApprovals1763701925000,
  Webhooks1763702100000,
  Erasure1763702200000,
];

/** The migration that keys the audit chain: the process that applies it anchors the legacy chains (apps/broker/src/audit/audit-integrity.ts). */
export const keyedAuditChainMigration = new AuditIntegrity1763700900000().name;
