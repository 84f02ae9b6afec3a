import type { ClientBase } from 'pg';
import type { QueryRunner } from 'typeorm';
import type { HotStatement } from './hot-statement.js';

/**
 * One open transaction, as feature code uses it: SQL in, rows or a count
 * out. There are no entities: TypeORM is the pool and the migration runner,
 * and its EntityManager (whose `query` answers UPDATE and DELETE with
 * `[rows, count]` and everything else with rows) stays behind this type.
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
  /** Stands for the database this transaction belongs to: the key of per-database registries (the audit keyring). */
  readonly database: object;
  /** Runs `callback` once the transaction committed (never when it rolls back); for in-process wake-ups of work it queued. */
  afterCommit(callback: () => void): void;
}

/** A transaction on one pooled connection. */
export class ConnectionTransaction implements Transaction {
  /** What {@link afterCommit} registered, for the owner to run after COMMIT. */
  readonly committed: Array<() => void> = [];

  constructor(
    private readonly runner: QueryRunner,
    readonly database: object,
    /** Set when hot statements run as named prepared statements (PostgreSQL, not the embedded database). */
    private readonly planKeeping: ClientBase | undefined,
  ) {}

  async rows<T>(sql: string, parameters: readonly unknown[] = []): Promise<T[]> {
    const result = await this.runner.query(sql, [...parameters], true);
    return (result.records ?? []) as T[];
  }

  async one<T>(sql: string, parameters: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(sql, parameters))[0];
  }

  async count(sql: string, parameters: readonly unknown[] = []): Promise<number> {
    const result = await this.runner.query(sql, [...parameters], true);
    return result.affected ?? 0;
  }

  afterCommit(callback: () => void): void {
    if (!this.committed.includes(callback)) this.committed.push(callback);
  }

  async hot<T>(statement: HotStatement, values: readonly unknown[]): Promise<T[]> {
    if (!this.planKeeping) return this.rows<T>(statement.text, values);
    const result = await this.planKeeping.query<T & Record<string, unknown>>({ name: statement.name, text: statement.text, values: [...values] });
    return result.rows;
  }
}
