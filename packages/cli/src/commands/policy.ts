import type { Command } from 'commander';
import type { LimitsUpdate } from '@switchboard/client';
import { contextOf, pairs } from '../context.js';
import { printList, printObject } from '../output.js';

/**
 * A `field=value` of `limits set` as JSON: `null` removes the limit, numbers
 * and lists are parsed; money (fields in Usd) stays a decimal string, as
 * API.md writes money.
 */
export function limitValue(field: string, text: string): unknown {
  if (text === 'null') return null;
  if (/Usd/.test(field)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** limits get | set, admin sessions | kill. */
export function registerPolicy(program: Command): void {
  const limits = program.command('limits').description("the tenant's limits (role admin)");
  limits
    .command('get')
    .description('the policy, or one user\'s effective policy and usage')
    .option('--for <userId>', 'one end user')
    .action(async (options: { for?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, options.for ? await client.limits.getForUser(options.for) : await client.limits.get());
    });
  limits
    .command('set <field=value...>')
    .description('change fields (others unchanged; null removes a limit), e.g. maxActiveSessionsPerUser=3')
    .option('--for <userId>', 'an override for one end user')
    .action(async (assignments: string[], options: { for?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      const changes = Object.fromEntries(Object.entries(pairs(assignments)).map(([field, text]) => [field, limitValue(field, text)])) as LimitsUpdate;
      printObject(output, options.for ? await client.limits.updateForUser(options.for, changes) : await client.limits.update(changes));
    });

  const admin = program.command('admin').description("every live session of the tenant, and the kill switch (role admin)");
  admin
    .command('sessions')
    .description('live sessions on every runtime')
    .option('--for <userId>', 'one end user')
    .option('--provider <provider>', 'one runtime')
    .option('--status <status>', 'one status')
    .action(async (options: { for?: string; provider?: string; status?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      const query = { user: options.for, provider: options.provider, status: options.status } as Parameters<typeof client.admin.sessions.list>[0];
      printList(output, await client.admin.sessions.list(query).all(), ['id', 'user', 'agent.name', 'provider', 'status', 'createdAt']);
    });
  admin
    .command('kill [sessionId]')
    .description('terminate a session (reason admin), or every session of one user with --for')
    .option('--for <userId>', "terminate all of this user's sessions")
    .action(async (sessionId: string | undefined, options: { for?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      if (options.for) printObject(output, await client.admin.users.terminateSessions(options.for));
      else if (sessionId) printObject(output, await client.admin.sessions.terminate(sessionId));
      else command.error('admin kill needs a session id or --for <userId>', { exitCode: 1 });
    });
}
