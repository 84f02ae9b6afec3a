import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { processMemoryMiB, runConcurrently } from './stats.js';

/**
 * The yardstick for the broker's memory per open stream (issue 17 item 6):
 * the same held turns opened by the Claude SDK alone, in a plain process
 * with no server, no database and no broker. Whatever an open turn costs
 * here (the SDK's fetch request, its socket, its event-stream reader), a
 * broker following the turn pays too, before its own client's stream.
 *
 * The child creates its sessions, says `ready`, opens one turn per session
 * when told `open` (stream, then the message, then reading until idle, as
 * the direct bench client does), says `opened`, and `done <completed>` once
 * every turn ended. The parent holds the turns at the emulator and reads
 * the child's RSS in between.
 */
export interface DirectOpenStreams {
  rssBeforeMiB: number;
  rssOpenMiB: number;
  growthKiBPerStream: number;
  completed: number;
}

export async function directOpenStreams(
  emulatorUrl: string,
  target: { agentId: string; environmentId: string },
  streams: number,
  hold: () => Promise<void>,
  waitHeld: () => Promise<void>,
  release: () => Promise<void>,
): Promise<DirectOpenStreams> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), emulatorUrl, JSON.stringify(target), String(streams)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const expect = async (word: string) => {
    const line = await lines.next();
    if (line.done || !line.value.startsWith(word)) throw new Error(`the direct client said ${line.done ? 'nothing' : line.value}, not ${word}`);
    return line.value;
  };
  try {
    await expect('ready');
    await hold();
    const rssBeforeMiB = processMemoryMiB(child.pid!);
    child.stdin.write('open\n');
    await expect('opened');
    await waitHeld();
    const samples: number[] = [];
    for (let sample = 0; sample < 3; sample++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      samples.push(processMemoryMiB(child.pid!));
    }
    const rssOpenMiB = Math.max(...samples);
    await release();
    const completed = Number((await expect('done')).split(' ')[1]);
    return { rssBeforeMiB, rssOpenMiB, growthKiBPerStream: Math.round(((rssOpenMiB - rssBeforeMiB) * 1024 * 10) / streams) / 10, completed };
  } finally {
    child.kill('SIGTERM');
  }
}

async function runDirectClient(emulatorUrl: string, target: { agentId: string; environmentId: string }, streams: number): Promise<void> {
  const client = new Anthropic({ apiKey: 'sk-ant-bench', baseURL: emulatorUrl, maxRetries: 0 });
  const sessions: string[] = new Array(streams);
  await runConcurrently(32, Math.ceil(streams / 32), async (worker, index) => {
    const slot = index * 32 + worker;
    if (slot < streams) sessions[slot] = (await client.beta.sessions.create({ agent: target.agentId, environment_id: target.environmentId })).id;
  });
  const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  // Settled (the creates' sockets and garbage) before the parent's first reading, as the broker is before its own.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  process.stdout.write('ready\n');
  await commands.next();
  const turns: Array<Promise<boolean>> = [];
  await runConcurrently(256, Math.ceil(streams / 256), async (worker, index) => {
    const slot = index * 256 + worker;
    if (slot >= streams) return;
    const stream = await client.beta.sessions.events.stream(sessions[slot], { event_deltas: ['agent.message'] });
    await client.beta.sessions.events.send(sessions[slot], { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hello from an open stream' }] }] });
    turns.push(
      (async () => {
        for await (const event of stream) if (event.type === 'session.status_idle') return true;
        return false;
      })(),
    );
  });
  process.stdout.write('opened\n');
  const completed = (await Promise.all(turns)).filter(Boolean).length;
  process.stdout.write(`done ${completed}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runDirectClient(process.argv[2], JSON.parse(process.argv[3]) as { agentId: string; environmentId: string }, Number(process.argv[4]));
  process.exit(0);
}
