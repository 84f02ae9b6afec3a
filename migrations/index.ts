import { Foundation1763700000000 } from './1763700000000-Foundation.js';
import { Turns1763700100000 } from './1763700100000-Turns.js';
import { AuditQueries1763700200000 } from './1763700200000-AuditQueries.js';

/** Every migration, in order. Never edit one that has landed; add a new one. */
export const migrations = [Foundation1763700000000, Turns1763700100000, AuditQueries1763700200000];
