import { z } from 'zod';

const instant = z.iso.datetime({ offset: true });

const startOfMonth = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
};

/** `[from, to)`, RFC 3339; by default the current calendar month (UTC) up to now. */
const period = {
  from: instant.optional().transform((value) => value ?? startOfMonth()),
  to: instant.optional().transform((value) => value ?? new Date().toISOString()),
};
const fromBeforeTo = (query: { from: string; to: string }) => Date.parse(query.from) < Date.parse(query.to);
const fromBeforeToProblem = { message: 'from must be before to', path: ['from'] };

export const summaryGroupings = ['user', 'agent', 'provider', 'day'] as const;
export type SummaryGrouping = (typeof summaryGroupings)[number];

export const costSummaryQuery = z.strictObject({ ...period, groupBy: z.enum(summaryGroupings).default('user') }).refine(fromBeforeTo, fromBeforeToProblem);
export type CostSummaryQuery = z.infer<typeof costSummaryQuery>;

export const exportFormats = ['focus-csv', 'focus-jsonl', 'csv'] as const;
export type ExportFormat = (typeof exportFormats)[number];
export const focusVersions = ['1.2', '1.3'] as const;
export type FocusVersion = (typeof focusVersions)[number];

export const costExportQuery = z
  .strictObject({ ...period, format: z.enum(exportFormats).default('focus-csv'), focusVersion: z.enum(focusVersions).default('1.2') })
  .refine(fromBeforeTo, fromBeforeToProblem);
export type CostExportQuery = z.infer<typeof costExportQuery>;

const money = z.string().describe('USD, exact decimal string');

export const costGroupView = z.object({
  key: z.string(),
  costUsd: money,
  activeSeconds: z.number(),
  idleSeconds: z.number(),
  sessionHours: z.number(),
  turns: z.number().int(),
  sessions: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
}).meta({ id: 'CostGroup' });
export type CostGroupView = z.infer<typeof costGroupView>;

export const costSummaryView = z.object({
  currency: z.literal('USD'),
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(summaryGroupings),
  total: money,
  groups: z.array(costGroupView),
}).meta({ id: 'CostSummary' });
export type CostSummaryView = z.infer<typeof costSummaryView>;

/** For the OpenAPI document (checked against the schema when it is built). */
export const costSummaryExample = {
  currency: 'USD',
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-04T09:00:00.000Z',
  groupBy: 'user',
  total: '12.34',
  groups: [
    { key: 'u-42', costUsd: '1.20', activeSeconds: 1840.5, idleSeconds: 5400, sessionHours: 2.01, turns: 57, sessions: 4, inputTokens: 182_000, outputTokens: 24_500 },
  ],
} satisfies CostSummaryView;
