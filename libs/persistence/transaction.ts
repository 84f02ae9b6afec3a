import pg, { type PoolClient, type QueryResult } from 'pg';
import type { HotStatement } from './hot-statement.js';

/**
 * One open transaction, as feature code uses it: SQL in, rows or a count
 * out, on one of pg's pooled connections. There are no entities (TypeORM is
 * the migration runner only).
 *
 * Round trips are what a turn pays for (issue 17): `defer` lets a write
 * whose result nobody needs ride along with the next statement, `final`
 * sends the last statement with COMMIT, and a pipelined transaction
 * (`Database.inTenant` with `pipelined`) sends its opening (BEGIN, the role,
 * the scope) with its first statement.
 */
export interface Transaction {
  /** The rows a statement returns (a SELECT, or a write's RETURNING rows). */
  rows<T>(sql: string, parameters?: readonly unknown[]): Promise<T[]>;
  /** The first row a statement returns, if any. */
  one<T>(sql: string, parameters?: readonly unknown[]): Promise<T | undefined>;
  /** How many rows a write touched (INSERT, UPDATE, DELETE). */
  count(sql: string, parameters?: readonly unknown[]): Promise<number>;
  /** A statement of the turn path, prepared once per connection where the database keeps plans (see hot-statement.ts). */
  hot<T>(statement: HotStatement, values: readonly unknown[]): Promise<T[]>;
  /**
   * A write whose result is not needed: it is sent with the transaction's
   * next statement (or its COMMIT), in the same round trip. Its failure
   * fails that statement, and the transaction.
   */
  defer(statement: HotStatement | string, values: readonly unknown[]): void;
  /**
   * A write sent like {@link defer} (with the next statement, or the COMMIT),
   * whose rows are wanted once that round trip is back: the promise settles
   * only then, so awaiting it before another statement was asked for waits
   * forever. `statement` must be one statement.
   */
  deferRows<T>(statement: HotStatement | string, values: readonly unknown[]): Promise<T[]>;
  /** The transaction's last statement, sent with its COMMIT in one round trip: nothing may be run in it afterwards. */
  final<T>(statement: HotStatement | string, values: readonly unknown[]): Promise<T[]>;
  /** Stands for the database this transaction belongs to: the key of per-database registries (the audit keyring). */
  readonly database: object;
  /** Runs `callback` once the transaction committed (never when it rolls back); for in-process wake-ups of work it queued. */
  afterCommit(callback: () => void): void;
}

/** A transaction on one pooled connection. */
export class ConnectionTransaction implements Transaction {
  /** What {@link afterCommit} registered, for the owner to run after COMMIT. */
  readonly onCommit: Array<() => void> = [];
  /** Statements waiting to go with the next one: the opening (as text), then deferred writes (their values inlined when sent). */
  private pending: Array<string | Parameterized>;
  /** Something was sent: the transaction is open on the server (or failed opening). */
  private opened: boolean;
  private committed = false;
  /** The last statement sent or being prepared: statements go out one after another, in the order they were asked for. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly database: object,
    private readonly connection: PoolClient,
    /** Hot statements run as named prepared statements (PostgreSQL, not the embedded database). */
    private readonly keepPlans: boolean,
    /** The opening, when it is to go with the first statement; undefined when it was sent already. */
    opening: string | undefined,
  ) {
    this.pending = opening === undefined ? [] : [opening];
    this.opened = opening === undefined;
  }

  rows<T>(sql: string, parameters: readonly unknown[] = []): Promise<T[]> {
    return this.serial(async () => {
      if (this.pending.length > 0) return (await this.pipelined(sql, parameters)).rows as T[];
      return (await this.connection.query(sql, [...parameters])).rows as T[];
    });
  }

  async one<T>(sql: string, parameters: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(sql, parameters))[0];
  }

  count(sql: string, parameters: readonly unknown[] = []): Promise<number> {
    return this.serial(async () => {
      if (this.pending.length > 0) return (await this.pipelined(sql, parameters)).rowCount ?? 0;
      return (await this.connection.query(sql, [...parameters])).rowCount ?? 0;
    });
  }

  afterCommit(callback: () => void): void {
    if (!this.onCommit.includes(callback)) this.onCommit.push(callback);
  }

  hot<T>(statement: HotStatement, values: readonly unknown[]): Promise<T[]> {
    if (!this.keepPlans) return this.rows<T>(statement.text, values);
    return this.serial(async () => {
      if (this.pending.length > 0) return (await this.pipelined(statement.text, values, statement.name)).rows as T[];
      this.assertOpen();
      const result = await this.connection.query<T & Record<string, unknown>>({ name: statement.name, text: statement.text, values: [...values] });
      return result.rows;
    });
  }

  defer(statement: HotStatement | string, values: readonly unknown[]): void {
    this.assertOpen();
    this.pending.push(parameterized(statement, values));
  }

  deferRows<T>(statement: HotStatement | string, values: readonly unknown[]): Promise<T[]> {
    this.assertOpen();
    const rows = new Promise<T[]>((resolve, reject) => {
      this.pending.push({ ...parameterized(statement, values), answer: { resolve: (result) => resolve(result.rows as T[]), reject } });
    });
    // Its failure is also the failure of the statement it went with, which the caller sees: never an unhandled rejection.
    rows.catch(() => undefined);
    return rows;
  }

  final<T>(statement: HotStatement | string, values: readonly unknown[]): Promise<T[]> {
    return this.serial(async () => {
      this.assertOpen();
      const results = await this.send([...this.pending, parameterized(statement, values), 'COMMIT']);
      this.committed = true;
      return results[results.length - 2].rows as T[];
    });
  }

  /** Ends the transaction (for `Database`): COMMIT, with whatever still waits; nothing at all when nothing was run. */
  async commit(): Promise<void> {
    await this.tail;
    if (this.committed) return;
    this.committed = true;
    if (!this.opened && this.pending.length === 1) return;
    try {
      await this.send([...this.pending, 'COMMIT']);
    } catch (error) {
      // A deferred write failed: the COMMIT behind it never ran, and the transaction is open and aborted.
      await this.connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** For `Database`, when the work failed: ROLLBACK if the transaction was opened on the server. */
  async rollback(): Promise<void> {
    await this.tail;
    if (this.committed) return;
    this.committed = true;
    const unsent = this.pending;
    this.pending = [];
    for (const statement of unsent) if (typeof statement !== 'string') statement.answer?.reject(new Error('the transaction rolled back before the statement was sent'));
    if (this.opened) await this.connection.query('ROLLBACK');
  }

  /** The statement after what waits, as one simple query; its own result. */
  private async pipelined(sql: string, parameters: readonly unknown[], name?: string): Promise<QueryResult> {
    this.assertOpen();
    const results = await this.send([...this.pending, { sql, values: parameters, name }]);
    return results[results.length - 1];
  }

  private async send(statements: Array<string | Parameterized>): Promise<QueryResult[]> {
    this.pending = [];
    let results: QueryResult[];
    try {
      // (Learning a statement's parameter types may cost a round trip, once per process: this connection's, never another's.)
      const texts: string[] = [];
      for (const statement of statements) texts.push(typeof statement === 'string' ? statement : await this.textOf(statement));
      this.opened = true;
      const result = (await this.connection.query(texts.join(';\n'))) as QueryResult | QueryResult[];
      results = Array.isArray(result) ? result : [result];
    } catch (error) {
      for (const statement of statements) if (typeof statement !== 'string') statement.answer?.reject(error);
      throw error;
    }
    // Every statement after the opening (two statements in one text) is one statement: its result is counted from the end.
    statements.forEach((statement, index) => {
      if (typeof statement !== 'string') statement.answer?.resolve(results[results.length - (statements.length - index)]);
    });
    return results;
  }

  /**
   * A statement's text in a simple query: a hot statement on PostgreSQL as
   * `EXECUTE` of its plan, prepared once per connection (a pipelined
   * statement sent as text is parsed and planned on every turn: for the
   * claim and record statements that was ~0.4 ms of the server's time each);
   * anything else with its values inlined.
   */
  private async textOf(statement: Parameterized): Promise<string> {
    const types = await parameterTypes(this.connection, statement.sql);
    if (!this.keepPlans || statement.name === undefined) return inlined(statement.sql, statement.values, types);
    const name = await preparedOn(this.connection, `${statement.name}_sql`, statement.sql);
    return statement.values.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${statement.values.map((value, index) => literal(value, types[index])).join(', ')})`;
  }

  /** Runs `query` after every statement asked for before it (one may still be learning its parameter types). */
  private serial<T>(query: () => Promise<T>): Promise<T> {
    const run = this.tail.then(query, query);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.committed) throw new Error('the transaction has ended');
  }
}

interface Parameterized {
  sql: string;
  values: readonly unknown[];
  /** A hot statement's name: executed from a prepared plan where the database keeps plans. */
  name?: string;
  /** For {@link ConnectionTransaction.deferRows}: who waits for the statement's result. */
  answer?: { resolve(result: QueryResult): void; reject(error: unknown): void };
}

const parameterized = (statement: HotStatement | string, values: readonly unknown[]): Parameterized =>
  typeof statement === 'string' ? { sql: statement, values } : { sql: statement.text, values, name: statement.name };

/**
 * The SQL-level prepared statements each connection holds, by name. A
 * separate name from the one pg's protocol-level preparation uses for the
 * same hot statement (`hot` outside a pipeline): both live in the session's
 * one namespace, and pg would refuse to prepare a name it did not prepare
 * itself. PREPARE is not transactional: a plan outlives a rollback.
 */
const preparedByConnection = new WeakMap<PoolClient, Map<string, Promise<string>>>();

/** Prepares `sql` as `name` on `connection` once (its own round trip, the first time only); resolves with the name. */
function preparedOn(connection: PoolClient, name: string, sql: string): Promise<string> {
  let prepared = preparedByConnection.get(connection);
  if (!prepared) preparedByConnection.set(connection, (prepared = new Map()));
  let ready = prepared.get(name);
  if (!ready) {
    ready = connection.query(`PREPARE ${name} AS ${sql}`).then(() => name);
    prepared.set(name, ready);
    // A failure is not remembered: the next use prepares again.
    ready.catch(() => prepared.delete(name));
  }
  return ready;
}

/**
 * `sql` with its `$n` parameters replaced by escaped literals cast to the
 * types PostgreSQL infers for the parameters, for a multi-statement simple
 * query (which takes no parameters). Each value is the text pg would have
 * sent for it (`prepareValue`). The cast matters: an untyped literal is
 * typed from its context differently from an untyped parameter
 * (`coalesce($1, $2)` of two literals is text).
 */
function inlined(sql: string, values: readonly unknown[], types: readonly string[]): string {
  return sql.replace(/\$(\d+)/g, (_, index: string) => literal(values[Number(index) - 1], types[Number(index) - 1]));
}

/** One value as an escaped literal cast to its parameter's type (see `inlined`). */
function literal(raw: unknown, type: string | undefined): string {
  const value = prepareValue(raw);
  const typed = (text: string) => (type && type !== 'unknown' ? `CAST(${text} AS ${type})` : text);
  if (value === null) return typed('NULL');
  if (typeof value !== 'string') throw new Error('a binary parameter cannot be inlined');
  return typed(pg.escapeLiteral(value));
}

/** Parameter types by statement text, as PostgreSQL infers them (the same on every connection of the process's database). */
const knownParameterTypes = new Map<string, Promise<string[]>>();
let preparedCount = 0;

/**
 * The types PostgreSQL infers for `sql`'s parameters: prepared once under a
 * name of this process and dropped in the same query, on `connection`
 * (inside an open transaction too: PREPARE is not transactional).
 */
function parameterTypes(connection: PoolClient, sql: string): Promise<string[]> {
  if (!/\$\d/.test(sql)) return Promise.resolve([]);
  let types = knownParameterTypes.get(sql);
  if (!types) {
    const name = `switchboard_types_${process.pid}_${++preparedCount}`;
    types = connection
      .query(`PREPARE ${name} AS ${sql};\nSELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = '${name}';\nDEALLOCATE ${name}`)
      .then((results) => ((results as unknown as QueryResult[])[1].rows[0] as { types: string[] }).types);
    knownParameterTypes.set(sql, types);
    // A failure is not remembered: the next use asks again.
    types.catch(() => knownParameterTypes.delete(sql));
  }
  return types;
}

/** pg's own conversion of a parameter to its wire text (null for NULL, a Buffer for bytea). */
const pgUtils = (pg as unknown as { utils: { prepareValue(value: unknown): string | Buffer | null } }).utils;
const prepareValue = (value: unknown) => pgUtils.prepareValue(value);
