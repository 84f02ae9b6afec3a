import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { AuditEventsQuery, CostSummaryQuery, Download } from '@switchboard/client';
import { CheckFailed, contextOf, integer } from '../context.js';
import { printList, printObject, progress } from '../output.js';

/** Copies a download to a file or stdout as it arrives, with a progress line on a terminal. */
async function save(download: Download, file: string | undefined, label: string): Promise<void> {
  const target = file ? createWriteStream(file) : process.stdout;
  const meter = progress(label);
  const sink = Writable.toWeb(target);
  const counted = download.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        meter.add(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
  // stdout must stay open for whatever the process writes next.
  await counted.pipeTo(sink, { preventClose: !file });
  meter.done();
}

/** audit search | verify | export, costs summary | export. */
export function registerReports(program: Command): void {
  const audit = program.command('audit').description('the audit log (role auditor)');
  audit
    .command('search')
    .description('audit events in seq order (every page unless --limit)')
    .option('--for <userId>', 'only this end user')
    .option('--session <sessionId>', 'only this session')
    .option('--type <type>', 'only this event type, e.g. session.bound')
    .option('--from <time>', 'RFC 3339, inclusive')
    .option('--to <time>', 'RFC 3339, exclusive')
    .option('--limit <n>', 'at most this many events', integer)
    .action(async (options: Omit<AuditEventsQuery, 'user'> & { for?: string; limit?: number }, command: Command) => {
      // --for, not --user: the global --user is the X-End-User of session routes.
      const { client, output } = contextOf(command);
      const { limit, for: user, ...filters } = options;
      const query = { ...filters, user };
      const events = [];
      for await (const event of client.audit.events.list(query)) {
        if (limit !== undefined && events.length >= limit) break;
        events.push(event);
      }
      printList(output, events, ['seq', 'at', 'type', 'user', 'session', 'actor.kind', 'actor.id']);
    });
  audit
    .command('verify')
    .description("recompute the tenant's hash chain (exit 4 if it is broken)")
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      const result = await client.audit.verify();
      printObject(output, result);
      if (!result.ok) throw new CheckFailed(`the audit chain is broken at seq ${result.firstBadSeq}`);
    });
  audit
    .command('export')
    .description('the audit log, streamed (JSON lines or OCSF)')
    .option('--format <format>', 'jsonl | ocsf', 'jsonl')
    .option('--from <time>', 'RFC 3339')
    .option('--to <time>', 'RFC 3339')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (options: { format: string; from?: string; to?: string; output?: string }, command: Command) => {
      const { client } = contextOf(command);
      const { output: file, ...query } = options;
      await save(await client.audit.export(query as Parameters<typeof client.audit.export>[0]), file, 'audit export');
    });

  const costs = program.command('costs').description('costs (role finance)');
  costs
    .command('summary')
    .description('total and groups')
    .option('--group-by <key>', 'user | agent | provider | day', 'user')
    .option('--from <time>', 'RFC 3339')
    .option('--to <time>', 'RFC 3339')
    .action(async (options: { groupBy: string; from?: string; to?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      const summary = await client.costs.summary({ from: options.from, to: options.to, groupBy: options.groupBy } as CostSummaryQuery);
      if (output.json) {
        printObject(output, summary);
        return;
      }
      printList(output, summary.groups, ['key', 'costUsd', 'sessionHours', 'activeSeconds', 'inputTokens', 'outputTokens']);
      console.log(`total ${summary.total} ${summary.currency}`);
    });
  costs
    .command('export')
    .description('cost lines, streamed (FinOps FOCUS CSV or JSON lines, or plain CSV)')
    .option('--format <format>', 'focus-csv | focus-jsonl | csv', 'focus-csv')
    .option('--from <time>', 'RFC 3339')
    .option('--to <time>', 'RFC 3339')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (options: { format: string; from?: string; to?: string; output?: string }, command: Command) => {
      const { client } = contextOf(command);
      const { output: file, ...query } = options;
      await save(await client.costs.export(query as Parameters<typeof client.costs.export>[0]), file, 'cost export');
    });
}
