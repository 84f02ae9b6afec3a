import { Command, CommanderError } from 'commander';
import { NetworkError, ProblemError } from '@switchboard/client';
import { registerAccess } from './commands/access.js';
import { registerAgents } from './commands/agents.js';
import { registerPolicy } from './commands/policy.js';
import { registerReports } from './commands/reports.js';
import { registerSessions, TurnFailed } from './commands/sessions.js';
import { CheckFailed, ExitCode, UsageError } from './context.js';

const program = new Command('switchboard')
  .description('The Switchboard API from a terminal. Connection: flags, else SWITCHBOARD_URL / SWITCHBOARD_API_KEY / SWITCHBOARD_END_USER, else the profile `switchboard login` saved.')
  .option('--url <url>', 'broker URL')
  .option('--key <key>', 'API key, operator key or JWT')
  .option('--user <userId>', 'X-End-User for session routes (app keys)')
  .option('--json', 'JSON output for scripts')
  .addHelpText('after', '\nExit codes: 0 ok, 1 usage, 2 problem from the API (or a failed turn), 3 network, 4 a check failed.')
  .exitOverride()
  .showHelpAfterError();

// Subcommands inherit exitOverride: usage mistakes reach the catch below and exit 1.
registerAccess(program);
registerAgents(program);
registerSessions(program);
registerReports(program);
registerPolicy(program);

function describe(error: ProblemError): string {
  const lines = [`error: ${error.status} ${error.code}: ${error.detail ?? error.title}`];
  for (const field of error.errors) lines.push(`  ${field.path}: ${field.message}`);
  if (error.retryAfterSeconds !== undefined) lines.push(`  retry after ${error.retryAfterSeconds} s`);
  if (error.requestId) lines.push(`  request id ${error.requestId}`);
  return lines.join('\n');
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  else if (error instanceof ProblemError) {
    console.error(describe(error));
    process.exitCode = ExitCode.problem;
  } else if (error instanceof TurnFailed) {
    console.error(`error: ${error.message}`);
    process.exitCode = ExitCode.problem;
  } else if (error instanceof NetworkError) {
    console.error(`error: cannot reach the broker: ${error.message}`);
    process.exitCode = ExitCode.network;
  } else if (error instanceof CheckFailed) {
    console.error(`error: ${error.message}`);
    process.exitCode = ExitCode.checkFailed;
  } else if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exitCode = ExitCode.usage;
  } else throw error;
}
