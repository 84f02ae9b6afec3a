import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * An exclusive lock on an embedded database folder. PGlite does not lock its
 * data directory, and two processes that open one folder silently lose rows
 * (measured, see shared/notes/database.md P9), so the second process must be
 * refused with a message that says what to do.
 */
export class DataDirLock {
  private constructor(private readonly lockPath: string) {}

  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true });
    const lockPath = path.join(dataDir, 'switchboard.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lockPath, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(lockPath, 'utf8').trim());
        if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
          throw new Error(
            `The embedded database in ${path.resolve(dataDir)} is in use by ${holder === process.pid ? 'this process' : `process ${holder}`}. ` +
              'Only one broker process may open it: stop that process, or point SWITCHBOARD_DATA_DIR elsewhere, ' +
              'or set DATABASE_URL to use PostgreSQL for several replicas.',
          );
        }
        // The previous holder died without cleaning up: the lock is stale.
        rmSync(lockPath, { force: true });
      }
    }
    throw new Error(`Could not lock ${lockPath}`);
  }

  release(): void {
    rmSync(this.lockPath, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
