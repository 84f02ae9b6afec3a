import { Injectable } from '@nestjs/common';
import { conflict } from '#libs/errors';
import { newId } from '#libs/ids';
import { Database } from '#libs/persistence';
import { appendAuditEvent } from '../audit/audit-log.js';
import { isUniqueViolation } from '../database/sql-errors.js';
import { decodeCursor, pageFromRows, type Page } from '../http/pagination.js';
import { TenantRepository, type Tenant } from './tenant.repository.js';
import type { TenantView } from './tenant.schemas.js';

export const toTenantView = (tenant: Tenant): TenantView => ({
  id: tenant.id,
  name: tenant.name,
  createdAt: tenant.createdAt.toISOString(),
});

/** Tenant administration, for the platform operator. */
@Injectable()
export class TenantsService {
  constructor(private readonly database: Database) {}

  async create(name: string): Promise<TenantView> {
    try {
      const tenant = await this.database.inPlatform(async (manager) => {
        const created = await new TenantRepository(manager).insert({ id: newId('ten'), name });
        await appendAuditEvent(manager, created.id, { type: 'tenant.created', detail: { name } });
        return created;
      });
      return toTenantView(tenant);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('name_taken', `a tenant named "${name}" already exists`);
      throw error;
    }
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<TenantView>> {
    const rows = await this.database.inPlatform((manager) => new TenantRepository(manager).listAfter(decodeCursor(cursor), limit));
    const page = pageFromRows(rows, limit);
    return { data: page.data.map(toTenantView), nextCursor: page.nextCursor };
  }
}
