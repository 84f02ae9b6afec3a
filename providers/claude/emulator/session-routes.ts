import { readBody } from '#libs/emulator-kit';
import { submitEvents } from './event-intake.js';
import { paginate } from './paging.js';
import type { EmulatorServices, Route } from './route-table.js';
import type { SessionRecord } from './session-store.js';
import { sessionObject } from './session-view.js';
import { createSessionBody, listSessionsQuery, readQuery, updateSessionBody } from './wire-schemas.js';

/** `/v1/sessions` and `/v1/sessions/{id}`: the session resource and its lifecycle. */
export function sessionRoutes(services: EmulatorServices): Route[] {
  const { store, setup, runner, lifecycle, clock } = services;
  const view = (session: SessionRecord) => sessionObject(session, clock);

  return [
    {
      method: 'POST',
      path: '/v1/sessions',
      op: 'sessions.create',
      handle: async (call) => {
        const body = await readBody(call.req, createSessionBody);
        setup.environment(body.environment_id);
        const session = store.create({
          agent: setup.snapshotFor(body.agent),
          environmentId: body.environment_id,
          resources: body.resources ?? [],
          title: body.title ?? null,
          metadata: body.metadata ?? {},
          vaultIds: body.vault_ids ?? [],
          budget: body.budget ?? null,
        });
        if (body.initial_events) submitEvents(store, runner, session, body.initial_events);
        return view(session);
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions',
      op: 'sessions.list',
      handle: ({ url }) => {
        const query = listSessionsQuery.parse(readQuery(url));
        const matching = store
          .all()
          .filter((session) => query.include_archived === 'true' || session.archivedAt === null)
          .filter((session) => !query.agent_id || session.agent.id === query.agent_id)
          .filter((session) => !query.statuses || query.statuses.includes(session.status));
        const ordered = query.order === 'desc' ? matching.reverse() : matching;
        const page = paginate(ordered, query.limit, query.page);
        return { ...page, data: page.data.map(view) };
      },
    },
    { method: 'GET', path: '/v1/sessions/{id}', op: 'sessions.retrieve', handle: ({ params }) => view(store.find(params.id)) },
    {
      method: 'POST',
      path: '/v1/sessions/{id}',
      op: 'sessions.update',
      handle: async (call) => {
        const session = store.find(call.params.id);
        lifecycle.assertWritable(session);
        const body = await readBody(call.req, updateSessionBody);
        if (body.title !== undefined) session.title = body.title;
        for (const [key, value] of Object.entries(body.metadata ?? {})) {
          if (value === null) delete session.metadata[key];
          else session.metadata[key] = value;
        }
        if (body.budget !== undefined) session.budget = body.budget;
        if (body.vault_ids) session.vaultIds = body.vault_ids;
        if (body.agent?.tools) session.agent = { ...session.agent, tools: body.agent.tools };
        if (body.agent?.mcp_servers) session.agent = { ...session.agent, mcp_servers: body.agent.mcp_servers };
        store.touch(session);
        return view(session);
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/{id}/archive',
      op: 'sessions.archive',
      handle: ({ params }) => {
        const session = store.find(params.id);
        lifecycle.archive(session);
        return view(session);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/{id}',
      op: 'sessions.delete',
      handle: ({ params }) => {
        lifecycle.delete(store.find(params.id));
        return { id: params.id, type: 'session_deleted' };
      },
    },
  ];
}
