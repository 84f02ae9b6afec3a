import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { readClusterTemplate } from './cluster-template.js';
import { DataDirLock } from './data-dir-lock.js';

/** A running embedded PostgreSQL (PGlite) reachable over TCP on loopback. */
export interface EmbeddedDatabase {
  host: string;
  port: number;
  /** Closes the socket server and then PGlite, which flushes its files. */
  stop(): Promise<void>;
}

export const inMemoryDataDir = 'memory://';

/**
 * PostgreSQL's buffer cache inside PGlite. Its default (128MB) is resident
 * from the start in the WASM memory: a reopened embedded database held
 * ~320 MiB RSS with it, ~160 MiB with 16MB (measured, issue 17 item 7). A
 * cache size only: durability is unchanged (dirty pages are written on
 * eviction and at checkpoints as before), and reads past it come from the
 * data files through the OS page cache. The embedded database is the
 * one-process development default; PostgreSQL is the one that scales.
 */
const sharedBuffers = '16MB';

/**
 * Starts PGlite and the pglite-socket server in this process, so the app's
 * `pg` driver reaches it exactly as it reaches a PostgreSQL server.
 *
 * Why this option (measured in shared/notes/database.md): it is real
 * PostgreSQL (RLS, plpgsql triggers, row locks), the app keeps one code path,
 * and psql can attach on a fixed port. The socket server multiplexes every
 * connection onto PGlite's single session, so the pool must be exactly 1
 * (larger pools interleave large messages between connections). PGlite loads
 * here, on demand, so a broker on PostgreSQL never holds it.
 */
export async function startEmbeddedDatabase(options: { dataDir: string; port: number }): Promise<EmbeddedDatabase> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  const inMemory = options.dataDir === inMemoryDataDir;
  const lock = inMemory ? undefined : DataDirLock.acquire(options.dataDir);
  try {
    const pgliteDir = inMemory ? inMemoryDataDir : path.join(options.dataDir, 'pgdata');
    if (!inMemory) mkdirSync(path.dirname(pgliteDir), { recursive: true });
    // A new cluster starts from the build's initdb output when there is one (cluster-template.ts).
    const fresh = inMemory || !existsSync(path.join(pgliteDir, 'PG_VERSION'));
    const template = fresh ? readClusterTemplate() : undefined;
    const pglite = await PGlite.create({
      dataDir: pgliteDir,
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`],
      ...(template ? { loadDataDir: template } : {}),
    });
    const server = new PGLiteSocketServer({
      db: pglite,
      host: '127.0.0.1',
      port: options.port,
      // One for the app's pool, two spare for psql or a migration CLI.
      maxConnections: 3,
    });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    return {
      host: '127.0.0.1',
      port,
      async stop() {
        await server.stop();
        await pglite.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}
