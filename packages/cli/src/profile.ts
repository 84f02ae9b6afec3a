import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** What the CLI needs to reach the broker. */
export interface Connection {
  url: string;
  key: string;
  user?: string;
}

/** Where `switchboard login` keeps the connection: $XDG_CONFIG_HOME/switchboard, else ~/.config/switchboard. */
export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  return path.join(base, 'switchboard', 'profile.json');
}

export function readProfile(env: NodeJS.ProcessEnv = process.env): Partial<Connection> {
  try {
    return JSON.parse(readFileSync(profilePath(env), 'utf8')) as Partial<Connection>;
  } catch {
    return {};
  }
}

/** Written 0600 in a 0700 folder: the file holds a secret. chmod too, for a file that existed with looser modes. */
export function writeProfile(connection: Connection, env: NodeJS.ProcessEnv = process.env): string {
  const file = profilePath(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(connection, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Flags win over the environment, which wins over the profile file. */
export function resolveConnection(flags: { url?: string; key?: string; user?: string }, env: NodeJS.ProcessEnv = process.env): Partial<Connection> {
  const profile = readProfile(env);
  return {
    url: flags.url ?? env.SWITCHBOARD_URL ?? profile.url,
    key: flags.key ?? env.SWITCHBOARD_API_KEY ?? profile.key,
    user: flags.user ?? env.SWITCHBOARD_END_USER ?? profile.user,
  };
}
