import { Injectable } from '@nestjs/common';
import { Database } from '#libs/persistence';
import { currentTenantPrincipal } from '../identity/principal.js';
import type { CostGroupView, CostSummaryQuery, CostSummaryView } from './cost.schemas.js';
import { CostRepository } from './cost.repository.js';
import { divide, formatDecimal, parseDecimal, sumDecimals } from './decimal.js';

/**
 * The cost summary (API.md §7) of the caller's tenant. Money is summed by
 * the database in `numeric` and returned exact (every decimal, no rounding),
 * so the total is the exact sum of the groups and of the export's lines for
 * the same period. Usage figures come from the turns' meter records.
 */
@Injectable()
export class CostsService {
  constructor(private readonly database: Database) {}

  async summary(query: CostSummaryQuery): Promise<CostSummaryView> {
    const { tenantId } = currentTenantPrincipal();
    const [costs, usage] = await this.database.inTenant(tenantId, async (manager) => {
      const repository = new CostRepository(manager);
      return [await repository.costByGroup(tenantId, query.from, query.to, query.groupBy), await repository.usageByGroup(tenantId, query.from, query.to, query.groupBy)] as const;
    });
    const groups = new Map<string, CostGroupView>();
    const group = (key: string) => {
      let found = groups.get(key);
      if (!found) {
        found = { key, costUsd: '0', activeSeconds: 0, idleSeconds: 0, sessionHours: 0, turns: 0, sessions: 0, inputTokens: 0, outputTokens: 0 };
        groups.set(key, found);
      }
      return found;
    };
    for (const row of costs) group(row.key).costUsd = formatDecimal(parseDecimal(row.cost));
    for (const row of usage) {
      const active = parseDecimal(row.active_seconds);
      Object.assign(group(row.key), {
        activeSeconds: Number(row.active_seconds),
        idleSeconds: Number(row.idle_seconds),
        sessionHours: Number(formatDecimal(divide(active, 3600n, 6))),
        turns: Number(row.turns),
        sessions: Number(row.sessions),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
      });
    }
    const sorted = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      currency: 'USD',
      from: new Date(query.from).toISOString(),
      to: new Date(query.to).toISOString(),
      groupBy: query.groupBy,
      total: formatDecimal(sumDecimals(costs.map((row) => parseDecimal(row.cost)))),
      groups: sorted,
    };
  }
}
