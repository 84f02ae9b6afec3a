import type { ClientBase } from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * A statement the turn path runs on every turn. On PostgreSQL it runs as a
 * named prepared statement: parsed and planned once per connection, then
 * executed with a cached plan. Planning was most of these statements' cost
 * (measured: a turn's claim UPDATE costs the server 0.56 ms unnamed and
 * 0.31 ms named). The embedded database runs it as an ordinary query: its
 * connections share one backend session, where names from two connections
 * would collide.
 */
export interface HotStatement {
  readonly name: string;
  readonly text: string;
}

const declared = new Map<string, string>();

/** Declares a hot statement. A name stands for one text only (pg refuses a name reused for another text). */
export function hotStatement(name: string, text: string): HotStatement {
  const known = declared.get(name);
  if (known !== undefined && known !== text) throw new Error(`hot statement ${name} is declared twice with different text`);
  declared.set(name, text);
  return { name: `switchboard_${name}`, text };
}

/** The connection of each open transaction whose database keeps plans (set by Database). */
const planKeepingConnections = new WeakMap<EntityManager, ClientBase>();

export function keepPlansOn(manager: EntityManager, connection: ClientBase): void {
  planKeepingConnections.set(manager, connection);
}

/** Runs `statement` in the manager's transaction and returns its rows (RETURNING rows for writes). */
export async function runHot<T>(manager: EntityManager, statement: HotStatement, values: unknown[]): Promise<T[]> {
  const connection = planKeepingConnections.get(manager);
  if (connection) {
    const result = await connection.query<T & Record<string, unknown>>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }
  const raw = await manager.query<T[] | [T[], number]>(statement.text, values);
  // TypeORM answers UPDATE and DELETE with [rows, affected count].
  return isRowsAndCount(raw) ? raw[0] : raw;
}

function isRowsAndCount<T>(raw: T[] | [T[], number]): raw is [T[], number] {
  return raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number';
}
