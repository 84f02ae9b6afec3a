import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dependency rules of STYLE.md, checked on the TypeScript sources:
 * - libs/runtime-spec (the contract) imports nothing but itself;
 * - libs never import the app or a provider;
 * - a provider imports only the contract, shared libs and itself: never the app, never another provider.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return entry.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1] ?? match[2]);
}

/** Where an import lands, as a repo-relative path or a package name. */
function target(file: string, specifier: string): string {
  if (specifier.startsWith('#libs/')) return `libs/${specifier.slice(6)}`;
  if (specifier.startsWith('#providers/')) return `providers/${specifier.slice(11)}`;
  if (specifier.startsWith('#runtimes/')) return `providers/${specifier.slice(10)}`;
  if (specifier === '#migrations') return 'migrations';
  if (specifier.startsWith('.')) return path.relative(root, path.resolve(path.dirname(file), specifier));
  return `package:${specifier}`;
}

const violations = (dir: string, allowed: (file: string, to: string) => boolean) =>
  sourceFiles(path.join(root, dir)).flatMap((file) =>
    imports(file)
      .map((specifier) => target(file, specifier))
      .filter((to) => !allowed(path.relative(root, file), to))
      .map((to) => `${path.relative(root, file)} → ${to}`),
  );

test('the runtime contract depends on nothing', () => {
  assert.deepEqual(violations('libs/runtime-spec', (_file, to) => to.startsWith('libs/runtime-spec')), []);
});

test('libs never import the app or a provider', () => {
  assert.deepEqual(violations('libs', (_file, to) => !to.startsWith('apps/') && !to.startsWith('providers/')), []);
});

test('providers import only the contract, shared libs, packages and themselves', () => {
  const result = violations('providers', (file, to) => {
    const own = file.split('/').slice(0, 2).join('/');
    return to.startsWith('package:') || to.startsWith('libs/') || to.startsWith(own);
  });
  assert.deepEqual(result, []);
});

test('the checker sees imports (it can fail)', () => {
  const found = imports(path.join(root, 'providers/claude/claude-adapter.ts')).map((specifier) => target(path.join(root, 'providers/claude/claude-adapter.ts'), specifier));
  assert.ok(found.includes('libs/runtime-spec'));
  assert.ok(found.includes('package:@anthropic-ai/sdk'));
});

test('every registered runtime has its conformance file', async () => {
  const { providerIds } = await import('#libs/runtime-spec');
  const missing = providerIds.filter((id) => !existsSync(path.join(root, 'test/conformance', `conformance.${id}.test.ts`)));
  assert.deepEqual(missing, [], 'add test/conformance/conformance.<id>.test.ts (one line: runConformanceOf(id))');
});
