import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root (tests run compiled, from dist/test/…). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const repoPath = (...parts: string[]) => path.join(repoRoot, ...parts);

/**
 * A tool the deploy tests shell out to (promtool, kubectl): its path, or the
 * reason to skip when it is not installed (.ci/run installs both).
 */
export function tool(name: string): { path: string; skip: false } | { path: undefined; skip: string } {
  const file = `/usr/bin/${name}`;
  try {
    accessSync(file, constants.X_OK);
    return { path: file, skip: false };
  } catch {
    return { path: undefined, skip: `${file} is not installed (.ci/run installs it with apt-get)` };
  }
}

/** Runs a tool; its output, or a failure carrying its stdout and stderr. */
export function run(file: string, args: string[], cwd = repoRoot): string {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

/** One YAML document (merge keys `<<:` honoured, as docker compose does). */
export function readYaml<T>(...parts: string[]): T {
  return parse(readFileSync(repoPath(...parts), 'utf8'), { merge: true }) as T;
}

/** Every document of a multi-document YAML text. */
export function yamlDocuments<T>(text: string): T[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join('\n'));
    return document.toJS() as T;
  });
}
