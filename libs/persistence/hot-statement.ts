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
