import type { ServerResponse } from 'node:http';
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import { openEventStream, untilClosed, type Fault } from '#libs/emulator-kit';
import type { AgentChunk } from './agent-dialects.js';

/**
 * Writes one invocation's SSE response the way BedrockAgentCoreApp does
 * (`data: <json>` lines, no `event:` names, no terminator of AgentCore's own),
 * playing the invocation's fault: `delay` holds the first chunk back, `stall`
 * sends headers and nothing more, `truncate` destroys the socket after
 * `afterEvents` content chunks. Resolves true when every chunk was written.
 */
export async function streamChunks(
  res: ServerResponse,
  chunks: readonly AgentChunk[],
  options: { headers: Record<string, string>; fault: Fault | undefined; signal: AbortSignal; pacingMs: number },
): Promise<boolean> {
  const { fault, signal } = options;
  openEventStream(res, options.headers);
  if (fault?.kind === 'stall') {
    await untilClosed(res);
    return false;
  }
  try {
    if (fault?.kind === 'delay') await sleep(fault.ms, undefined, { signal });
    let contentWritten = 0;
    for (const chunk of chunks) {
      signal.throwIfAborted();
      if (fault?.kind === 'truncate' && chunk.content && contentWritten >= fault.afterEvents) {
        res.destroy();
        return false;
      }
      res.write(`data: ${JSON.stringify(chunk.data)}\n\n`);
      if (chunk.content) contentWritten += 1;
      await (options.pacingMs > 0 ? sleep(options.pacingMs, undefined, { signal }) : nextTick(undefined, { signal }));
    }
  } catch (error) {
    if (signal.aborted) {
      // StopRuntimeSession or a client that left: the response just stops.
      res.destroy();
      return false;
    }
    throw error;
  }
  res.end();
  return true;
}
