import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh PostgreSQL database next to the suite's (advisory locks, and so the reaper's lead, are per database). */
export async function dedicatedDatabase(suiteUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sb_dedicated_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: suiteUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(suiteUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
