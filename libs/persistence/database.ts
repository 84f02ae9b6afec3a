import pg from 'pg';
import { ConnectionTransaction, type Transaction } from './transaction.js';

/**
 * The database role every request transaction runs as. It is NOSUPERUSER and
 * NOBYPASSRLS and owns nothing, so row-level security applies to it even when
 * the connection itself logged in as a superuser (PGlite always does).
 */
export const applicationRole = 'switchboard_app';

/**
 * Runs work in transactions that the database itself confines to one tenant.
 *
 * Each transaction drops to {@link applicationRole} with `SET LOCAL ROLE` and
 * sets `app.tenant_id` with `set_config(..., true)`; both reset at COMMIT, so
 * nothing leaks to the next user of a pooled connection. The policies on every
 * tenant-owned table compare `tenant_id` to that setting, so a query that
 * forgets its tenant filter still sees only the tenant's rows.
 *
 * Always use the `Transaction` passed to `work`: querying through another
 * connection while a transaction is open deadlocks the embedded database
 * (one backend session; see shared/notes/database.md P5).
 */
export class Database {
  /**
   * `pool`: pg's own pool, nothing in between (TypeORM is the migration
   * runner only: loading it cost the serving process about 3 MB of source
   * and its query wrapper ran on every statement; issue 17).
   * `keepPlans`: run hot statements as named prepared statements (see
   * hot-statement.ts); for PostgreSQL, not for the embedded database.
   */
  constructor(
    readonly pool: pg.Pool,
    private readonly options: { keepPlans?: boolean } = {},
  ) {}

  /**
   * One statement outside any transaction, as the connection's login role
   * (the schema owner, which RLS does not restrict): for start-up and
   * platform housekeeping, health checks, and tests. Request handlers never
   * use it.
   */
  async query<T>(sql: string, parameters: readonly unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, [...parameters])).rows as T[];
  }

  /**
   * `pipelined`: the opening goes with the first statement instead of on its
   * own (one round trip less; for the turn path, issue 17). The first
   * statement then runs as a simple query with its values inlined (no kept
   * plan).
   */
  inTenant<T>(tenantId: string, work: (tx: Transaction) => Promise<T>, options: { pipelined?: boolean } = {}): Promise<T> {
    return this.transaction(tenantId, 'tenant', work, options.pipelined === true);
  }

  /**
   * Platform scope sees every tenant's rows. It is for the few callers that
   * act before or above a tenant: resolving a credential, the platform
   * operator's routes, and background jobs. Request handlers of a tenant
   * never use it.
   */
  inPlatform<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.transaction('', 'platform', work, false);
  }

  /**
   * One read-only statement outside any transaction, as the connection's
   * login role (the schema owner, which RLS does not restrict). Only for
   * resolving a credential before the tenant is known, where a transaction's
   * three round trips (BEGIN with the role, the read, COMMIT) would be paid
   * by every request.
   */
  platformRead<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return this.query<T>(sql, parameters);
  }

  /**
   * One write in its own tenant transaction, in a single round trip: BEGIN,
   * the role and the scope, `sql` and COMMIT go as one simple-protocol
   * query, so `sql` carries its values as escaped literals
   * (`pg.escapeLiteral`). For the turn path's small writes that a client
   * waits for (an event is stored before it is sent).
   */
  async writeInTenant(tenantId: string, sql: string): Promise<void> {
    const connection = await this.checkout();
    let broken: Error | undefined;
    try {
      await connection.query(
        `START TRANSACTION; SELECT set_config('role', '${applicationRole}', true), set_config('app.tenant_id', ${pg.escapeLiteral(tenantId)}, true), set_config('app.scope', 'tenant', true); ${sql}; COMMIT`,
      );
    } catch (error) {
      // A failed statement leaves the transaction open and aborted: never hand it back to the pool so.
      broken = await rolledBack(connection);
      throw error;
    } finally {
      connection.done(broken);
    }
  }

  /**
   * BEGIN, the role and the scope in one round trip (or, `pipelined`, with
   * the first statement), then `work`, then COMMIT (ROLLBACK when `work`
   * throws). Every request pays this, so the opening is a single
   * simple-protocol query: its values are escaped literals, since a
   * multi-statement query cannot take parameters. `work` gets the
   * transaction's handle on this connection (TypeORM's own transaction API
   * is not used).
   */
  private async transaction<T>(tenantId: string, scope: 'tenant' | 'platform', work: (tx: Transaction) => Promise<T>, pipelined: boolean): Promise<T> {
    const connection = await this.checkout();
    let broken: Error | undefined;
    try {
      const opening = `START TRANSACTION; SELECT set_config('role', '${applicationRole}', true), set_config('app.tenant_id', ${pg.escapeLiteral(tenantId)}, true), set_config('app.scope', '${scope}', true)`;
      let result: T;
      let tx: ConnectionTransaction | undefined;
      try {
        if (!pipelined) await connection.query(opening);
        // Pipelined: the opening is sent with the transaction's first statement (see ConnectionTransaction).
        tx = new ConnectionTransaction(this, connection, this.options.keepPlans === true, pipelined ? opening : undefined);
        result = await work(tx);
      } catch (error) {
        // Also when the opening itself failed after BEGIN: never hand an open transaction back to the pool.
        if (tx) broken = await tx.rollback().then(() => undefined, (failure: unknown) => asError(failure));
        else broken = await rolledBack(connection);
        throw error;
      }
      // (A COMMIT that fails rolls back itself: the connection is clean again.)
      await tx.commit();
      for (const callback of tx.onCommit) callback();
      return result;
    } finally {
      connection.done(broken);
    }
  }

  /**
   * A connection of the pool, with a listener for the errors it may raise
   * while checked out (a reset socket): pg emits them as 'error' events,
   * which would end the process unheard. `done` gives it back; with an
   * error, the pool closes it instead of reusing it.
   */
  private async checkout(): Promise<CheckedOut> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    const onError = (error: Error) => {
      failure = error;
    };
    client.on('error', onError);
    return Object.assign(client, {
      done(broken?: Error) {
        client.off('error', onError);
        client.release(broken ?? failure);
      },
    });
  }
}

type CheckedOut = pg.PoolClient & { done(broken?: Error): void };

/** ROLLBACK after a failure; resolves with the error that makes the connection unusable, if it failed too. */
async function rolledBack(connection: pg.PoolClient): Promise<Error | undefined> {
  try {
    await connection.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return asError(error);
  }
}

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
