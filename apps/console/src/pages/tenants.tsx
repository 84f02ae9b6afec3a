import { useState } from 'preact/hooks';
import type { View } from '../api/client.js';
import { Loaded, Table, time, useApi } from '../ui.js';
import { KeysPage } from './keys.js';

/** The platform operator's view: every tenant, and the keys of the one selected. */
export function TenantsPage() {
  const tenants = useApi<View<'listTenants'>>('/v1/tenants');
  const [selected, setSelected] = useState<{ id: string; name: string }>();
  return (
    <section aria-label="Tenants">
      <Loaded state={tenants} empty={(page) => page.data.length === 0} emptyText="No tenants yet.">
        {(page) => (
          <Table
            caption="Tenants"
            testId="tenants"
            rows={page.data}
            rowKey={(tenant) => tenant.id}
            columns={[
              { label: 'Name', cell: (tenant) => tenant.name },
              { label: 'Id', cell: (tenant) => <code>{tenant.id}</code> },
              { label: 'Created', cell: (tenant) => time(tenant.createdAt) },
              {
                label: 'Keys',
                cell: (tenant) => (
                  <button type="button" onClick={() => setSelected(tenant)} aria-label={`Keys of ${tenant.name}`}>
                    Keys
                  </button>
                ),
              },
            ]}
          />
        )}
      </Loaded>
      {selected && (
        <>
          <h2>Keys of {selected.name}</h2>
          <KeysPage key={selected.id} tenant={selected.id} />
        </>
      )}
    </section>
  );
}
