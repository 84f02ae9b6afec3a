import type { Command } from 'commander';
import { SwitchboardClient } from '@switchboard/client';
import type { Output } from './output.js';
import { resolveConnection, type Connection } from './profile.js';

/** Exit codes (README: CLI): scripts branch on these. */
export const ExitCode = {
  ok: 0,
  /** A wrong command line, or no URL/key configured. */
  usage: 1,
  /** The API answered with a problem (problem+json), or a turn failed. */
  problem: 2,
  /** The broker could not be reached, or the connection broke. */
  network: 3,
  /** A check ran and found something wrong (audit verify not ok, an agent target not ok). */
  checkFailed: 4,
} as const;

/** A mistake on the command line: exit 1 with the message. */
export class UsageError extends Error {}

/** A check that ran and failed: exit 4, after the result was printed. */
export class CheckFailed extends Error {}

interface GlobalFlags {
  url?: string;
  key?: string;
  user?: string;
  json?: boolean;
}

/** What every command needs: the client for the resolved connection, and the output mode. */
export interface Context {
  client: SwitchboardClient;
  connection: Connection;
  output: Output;
}

export function contextOf(command: Command): Context {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const connection = resolveConnection(flags);
  if (!connection.url || !connection.key) {
    throw new UsageError('no broker configured: run `switchboard login --url <url> --key <key>`, set SWITCHBOARD_URL and SWITCHBOARD_API_KEY, or pass --url and --key');
  }
  const resolved = { url: connection.url, key: connection.key, user: connection.user };
  return {
    client: new SwitchboardClient({ baseUrl: resolved.url, apiKey: resolved.key, endUser: resolved.user }),
    connection: resolved,
    output: { json: flags.json === true },
  };
}

/** Collects repeated `--opt a=b` values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `key=value` pairs as an object. */
export function pairs(values: string[]): Record<string, string> {
  return Object.fromEntries(
    values.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`expected key=value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export const integer = (value: string): number => {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new UsageError(`not an integer: ${value}`);
  return number;
};
