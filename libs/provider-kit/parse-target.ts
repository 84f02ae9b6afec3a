import type { z } from 'zod';

export type TargetParseResult<T> = { ok: true; target: T } | { ok: false; problems: Array<{ path: string; message: string }> };

/**
 * Validates an agent target with a provider's schema and names each problem
 * by its path, an unknown field by its own name, as the API's `errors`
 * entries do. The broker validates through the same schemas (runtime
 * modules' `targetSchema`); the provider target tests read problems this way.
 */
export function parseTargetWith<T>(schema: z.ZodType<T>, raw: unknown): TargetParseResult<T> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, target: result.data };
  return {
    ok: false,
    problems: result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [...issue.path.map(String), key].join('.'), message: 'unknown field' }))
        : [{ path: issue.path.map(String).join('.'), message: issue.message }],
    ),
  };
}
