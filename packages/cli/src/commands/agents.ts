import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { Agent, CreateAgentRequest, SwitchboardClient } from '@switchboard/client';
import { CheckFailed, contextOf, UsageError } from '../context.js';
import { printList } from '../output.js';

type Json = Record<string, unknown>;

/** Leaf values by dotted path, so a difference names the exact field (`targets.claude.agentId`). */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) for (const [path, leaf] of leaves(child, prefix ? `${prefix}.${key}` : key)) found.set(path, leaf);
  } else if (prefix) found.set(prefix, JSON.stringify(value));
  return found;
}

/** The fields of the file that differ from the agent as it is (fields the file leaves out are not touched). */
export function agentDifference(desired: Json, current: Json | undefined): Array<{ path: string; from?: string; to: string }> {
  const now = leaves(current ?? {});
  return [...leaves(desired)].filter(([path, value]) => now.get(path) !== value).map(([path, to]) => ({ path, from: now.get(path), to }));
}

/** An agent by id (`agt_…`) or by name. */
export async function findAgent(client: SwitchboardClient, idOrName: string): Promise<Agent | undefined> {
  if (idOrName.startsWith('agt_')) return client.agents.get(idOrName);
  for await (const agent of client.agents.list()) if (agent.name === idOrName) return agent;
  return undefined;
}

/** agents list | apply | check. */
export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('agent definitions (role admin)');
  agents
    .command('list')
    .description("list the tenant's agents")
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      const rows = (await client.agents.list().all()).map((agent) => ({ ...agent, targets: Object.keys(agent.targets).join(',') }));
      printList(output, rows, ['id', 'name', 'defaultProvider', 'targets', 'createdAt']);
    });

  agents
    .command('apply')
    .description('create the agent a YAML file describes, or update the one of that name; prints the difference')
    .requiredOption('-f, --file <agent.yaml>', 'the agent definition (the fields of POST /v1/agents)')
    .action(async (options: { file: string }, command: Command) => {
      const { client, output } = contextOf(command);
      const desired = parseYaml(readFileSync(options.file, 'utf8')) as Json | null;
      if (!desired || typeof desired !== 'object' || typeof desired.name !== 'string') throw new UsageError(`${options.file}: expected a mapping with at least "name"`);
      const current = await findAgent(client, desired.name);
      const changes = agentDifference(desired, current);
      let agent = current;
      let action: 'created' | 'updated' | 'unchanged' = 'unchanged';
      if (!current) {
        agent = await client.agents.create(desired as CreateAgentRequest);
        action = 'created';
      } else if (changes.length > 0) {
        const touched = new Set(changes.map((change) => change.path.split('.')[0]));
        const patch: Json = Object.fromEntries([...touched].map((field) => [field, desired[field]]));
        // Targets named in the file replace those of the agent; targets it leaves out are kept.
        if (patch.targets) patch.targets = { ...current.targets, ...(desired.targets as Json) };
        agent = await client.agents.update(current.id, patch);
        action = 'updated';
      }
      if (output.json) {
        console.log(JSON.stringify({ action, agent, changes }, null, 2));
        return;
      }
      for (const change of changes) console.log(change.from === undefined ? `+ ${change.path}: ${change.to}` : `~ ${change.path}: ${change.from} → ${change.to}`);
      console.log(`agent ${desired.name} ${action}${agent ? ` (${agent.id})` : ''}`);
    });

  agents
    .command('check <agent>')
    .description("ask each target's runtime whether it exists and can serve (exit 4 if one cannot)")
    .action(async (idOrName: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const agent = await findAgent(client, idOrName);
      if (!agent) throw new UsageError(`no agent named ${idOrName}`);
      const result = await client.agents.check(agent.id);
      const rows = Object.entries(result.targets).map(([provider, check]) => ({ provider, ...check }));
      printList(output, rows, ['provider', 'ok', 'code', 'detail']);
      if (rows.some((row) => !row.ok)) throw new CheckFailed(`a target of ${agent.name} is not ready`);
    });
}
