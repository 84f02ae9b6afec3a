import type { Command } from 'commander';
import { isTerminal, type CreateSessionRequest, type ListSessionsQuery, type TurnEvent } from '@switchboard/client';
import { collect, contextOf, integer, pairs } from '../context.js';
import { printList, printObject } from '../output.js';

const sessionColumns = ['id', 'agent.name', 'provider', 'user', 'status', 'createdAt', 'lastActivityAt'];

/** A turn that ended `turn.failed`: exit 2 with its code. */
export class TurnFailed extends Error {}

/** sessions create | list | show | end, and turn. */
export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description("the end user's sessions (role app; --user or SWITCHBOARD_END_USER)");
  sessions
    .command('create')
    .description('open a session')
    .requiredOption('--agent <agent>', 'agent id or name')
    .option('--provider <provider>', "runtime (default: the agent's defaultProvider)")
    .option('--metadata <key=value>', 'metadata (repeatable)', collect)
    .option('--idle-timeout <seconds>', 'idle timeout', integer)
    .option('--max-lifetime <seconds>', 'maximum lifetime', integer)
    .action(async (options: { agent: string; provider?: string; metadata?: string[]; idleTimeout?: number; maxLifetime?: number }, command: Command) => {
      const { client, output } = contextOf(command);
      const request = {
        agent: options.agent,
        ...(options.provider ? { provider: options.provider } : {}),
        ...(options.metadata ? { metadata: pairs(options.metadata) } : {}),
        ...(options.idleTimeout !== undefined ? { idleTimeoutSeconds: options.idleTimeout } : {}),
        ...(options.maxLifetime !== undefined ? { maxLifetimeSeconds: options.maxLifetime } : {}),
      } as CreateSessionRequest;
      printObject(output, await client.sessions.create(request));
    });
  sessions
    .command('list')
    .description("the user's sessions")
    .option('--status <status>', 'provisioning | idle | active | terminated')
    .option('--agent <agent>', 'agent id or name')
    .option('--provider <provider>', 'runtime')
    .action(async (options: ListSessionsQuery, command: Command) => {
      const { client, output } = contextOf(command);
      printList(output, await client.sessions.list(options).all(), sessionColumns);
    });
  sessions
    .command('show <sessionId>')
    .description('one session')
    .action(async (sessionId: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, await client.sessions.get(sessionId));
    });
  sessions
    .command('end <sessionId>')
    .description('terminate a session (idempotent)')
    .action(async (sessionId: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, await client.sessions.end(sessionId));
    });

  program
    .command('turn <sessionId> <text>')
    .description("send a message and stream the agent's reply as it arrives (--json: one event per line); Ctrl-C cancels the turn")
    .action(async (sessionId: string, text: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      let turnId: string | undefined;
      let printed = false;
      let last: TurnEvent | undefined;
      const interrupt = () => {
        // The broker keeps running a turn whose client went away: cancel it, then leave.
        const exit = () => process.exit(130);
        if (turnId) client.turns.cancel(sessionId, turnId).then(exit, exit);
        else exit();
      };
      process.once('SIGINT', interrupt);
      try {
        for await (const event of client.sessions.turns.stream(sessionId, text)) {
          turnId ??= event.turnId ?? undefined;
          last = event;
          if (output.json) console.log(JSON.stringify(event));
          else if (event.type === 'message.delta') {
            process.stdout.write(event.data.text);
            printed = true;
          } else if (event.type === 'message.completed' && !printed) {
            // A runtime that streams no deltas: the whole message at once.
            process.stdout.write(event.data.content.map((block) => block.text).join(''));
            printed = true;
          } else if (event.type === 'tool.call') console.error(`[tool ${event.data.name}] ${JSON.stringify(event.data.input)}`);
          else if (event.type === 'approval.requested') console.error(`[approval requested: ${event.data.name} ${event.data.toolCallId}]`);
          if (isTerminal(event)) break;
        }
      } finally {
        process.off('SIGINT', interrupt);
      }
      if (!output.json && printed) process.stdout.write('\n');
      if (last?.type === 'turn.failed') throw new TurnFailed(`turn failed: ${last.data.error.code}: ${last.data.error.message}`);
    });
}
