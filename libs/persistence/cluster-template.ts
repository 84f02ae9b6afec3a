import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A freshly initialised PGlite cluster with the migrations applied, dumped
 * once at build time (`npm run build`) and loaded into each new embedded
 * database instead of running initdb and the migrations there.
 *
 * Why: initdb is most of a fresh embedded start (~3 s of ~4.5 s measured,
 * issue 17 item 7); loading the dump takes ~0.4 s. It is PGlite's own
 * mechanism, made once rather than on every first boot: PGlite's initdb
 * runs in a scratch in-memory instance, dumps its data folder as a tarball
 * and unpacks it into the real one, and `loadDataDir` unpacks the same
 * tarball. The file is named after the PGlite version that made it, so a
 * different PGlite (after an upgrade without a rebuild) ignores it and runs
 * initdb as before; so does a build that has none.
 */
export function clusterTemplatePath(): string {
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  const { version } = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return fileURLToPath(new URL(`./pglite-${version}-cluster.tar.gz`, import.meta.url));
}

/** The template for this PGlite version, if the build made one. */
export function readClusterTemplate(): Blob | undefined {
  const file = clusterTemplatePath();
  return existsSync(file) ? new Blob([readFileSync(file)]) : undefined;
}

/**
 * Runs initdb in memory, then `prepare` against it over a loopback socket
 * (the build applies the migrations there, so a new embedded database also
 * skips them: ~1.3 s of a first boot, issue 17 item 7), and writes its data
 * folder as the template (the build's last step). A broker still applies
 * whatever the template lacks, as on any database.
 */
export async function writeClusterTemplate(options: { prepare?: (server: { host: string; port: number }) => Promise<void> } = {}): Promise<string> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  const pglite = await PGlite.create();
  try {
    if (options.prepare) {
      // The migration runner's pool and TypeORM's each hold a connection.
      const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 3 });
      await server.start();
      try {
        await options.prepare({ host: '127.0.0.1', port: Number(server.getServerConn().split(':').pop()) });
      } finally {
        await server.stop();
      }
      // Everything in the data files, not only in the WAL: a new database has nothing to replay.
      await pglite.exec('CHECKPOINT');
    }
    const dump = await pglite.dumpDataDir('gzip');
    const file = clusterTemplatePath();
    // Written whole or not at all: a broker never loads half a template.
    writeFileSync(`${file}.tmp`, Buffer.from(await dump.arrayBuffer()));
    renameSync(`${file}.tmp`, file);
    return file;
  } finally {
    await pglite.close();
  }
}
