import type { ServerResponse } from 'node:http';

/**
 * Waits until the socket takes more, or the client is gone. A long export
 * that waits for 'drain' alone waits forever once its client disconnects
 * (a closed response never drains), holding its last page in memory: so
 * 'close' ends the wait too, and the writer checks whether to go on.
 */
export function drainedOrGone(response: ServerResponse): Promise<void> {
  if (response.destroyed || response.writableEnded || response.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
