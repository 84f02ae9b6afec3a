import type { Command } from 'commander';
import { SwitchboardClient } from '@switchboard/client';
import { contextOf, integer, UsageError } from '../context.js';
import { printList, printObject } from '../output.js';
import { resolveConnection, writeProfile } from '../profile.js';

const keyColumns = ['id', 'role', 'name', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'];

/** login, whoami, tenants, keys. */
export function registerAccess(program: Command): void {
  program
    .command('login')
    .description('check a URL and key against the broker, then save them (0600) for later commands')
    .action(async (_options, command: Command) => {
      const connection = resolveConnection(command.optsWithGlobals());
      if (!connection.url || !connection.key) throw new UsageError('login needs --url and --key (or SWITCHBOARD_URL and SWITCHBOARD_API_KEY)');
      const client = new SwitchboardClient({ baseUrl: connection.url, apiKey: connection.key, endUser: connection.user });
      const me = await client.me();
      const file = writeProfile({ url: connection.url, key: connection.key, ...(connection.user ? { user: connection.user } : {}) });
      console.log(`logged in to ${connection.url} as ${me.role}${me.tenant ? ` of tenant ${me.tenant.name} (${me.tenant.id})` : ''}; saved to ${file}`);
    });

  program
    .command('whoami')
    .description('the role, tenant and user of the configured credential')
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, await client.me());
    });

  const tenants = program.command('tenants').description('tenants (platform operator key)');
  tenants
    .command('create <name>')
    .description('create a tenant')
    .action(async (name: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, await client.tenants.create({ name }));
    });
  tenants
    .command('list')
    .description('list every tenant')
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      printList(output, await client.tenants.list().all(), ['id', 'name', 'createdAt']);
    });

  const keys = program.command('keys').description('API keys (tenant admin: its own tenant; operator: --tenant)');
  keys
    .command('create')
    .description('create a key; its secret is printed this once')
    .requiredOption('--role <role>', 'app | auditor | finance | admin')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--tenant <tenantId>', 'as the platform operator: the tenant to create it in')
    .option('--expires-at <time>', 'RFC 3339 time the key stops working')
    .action(async (options: { role: string; name: string; tenant?: string; expiresAt?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      const request = { role: options.role, name: options.name, ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}) } as Parameters<typeof client.keys.create>[0];
      printObject(output, await client.keys.create(request, { tenant: options.tenant }));
    });
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--tenant <tenantId>', 'as the platform operator: whose keys')
    .action(async (options: { tenant?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      printList(output, await client.keys.list({ tenant: options.tenant }).all(), keyColumns);
    });
  keys
    .command('rotate <keyId>')
    .description('a new key with the same role and name; the old one works for the grace period')
    .option('--grace-seconds <seconds>', 'how long the old key keeps working', integer)
    .action(async (keyId: string, options: { graceSeconds?: number }, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, await client.keys.rotate(keyId, options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds }));
    });
  keys
    .command('revoke <keyId>')
    .description('revoke a key at once')
    .action(async (keyId: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      printObject(output, await client.keys.revoke(keyId));
    });
}
