import { readBody } from '#libs/emulator-kit';
import { codeForStatus, FoundryApiError } from './api-errors.js';
import { newFoundryId } from './emulator-ids.js';
import { cursorPage } from './paging.js';
import { ok, projectPrefix, type EmulatorServices, type Route } from './route-table.js';
import { createSessionBody, createVersionBody, listQuery } from './wire-schemas.js';

const agentPath = `${projectPrefix}/agents/{agent}`;
const sessionsPath = `${agentPath}/endpoint/sessions`;

/**
 * The Azure-core half of the project endpoint (`project.agents.*`): agent
 * versions and hosted-agent sessions. Status codes are the SDK's expected
 * ones: create session 201, stop and delete 204, the rest 200.
 */
export function agentRoutes({ agents, sessions, faults }: EmulatorServices): Route[] {
  return [
    {
      method: 'POST',
      path: `${agentPath}/versions`,
      op: 'versions.create',
      handle: async ({ req, params }) => ok(agents.view(agents.create(params.project, params.agent, await readBody(req, createVersionBody)))),
    },
    {
      method: 'GET',
      path: `${agentPath}/versions/{version}`,
      op: 'versions.get',
      handle: ({ params }) => ok(agents.view(agents.find(params.project, params.agent, params.version))),
    },
    {
      method: 'POST',
      path: sessionsPath,
      op: 'sessions.create',
      handle: async ({ req, params }) => {
        const body = await readBody(req, createSessionBody);
        const version = agents.find(params.project, params.agent, body.version_indicator.agent_version);
        const { idleTimeoutSeconds } = agents.hostedProfile(version);
        const id = body.agent_session_id ?? newFoundryId('sess');
        const session = sessions.create({ project: params.project, agentName: params.agent, id, version: version.version, idleTimeoutSeconds });
        // The session exists now; a fault here loses only the answer, as a dropped gateway connection would.
        const lostReply = faults.take('sessions.create.reply');
        if (lostReply?.kind === 'status') throw new FoundryApiError(lostReply.status, codeForStatus(lostReply.status), 'injected fault after the session was created');
        return ok(sessions.view(session), 201);
      },
    },
    {
      method: 'GET',
      path: sessionsPath,
      op: 'sessions.list',
      handle: ({ url, params }) => {
        const query = listQuery.parse(Object.fromEntries(url.searchParams));
        const page = cursorPage(sessions.list(params.project, params.agent), (session) => session.id, query);
        return ok({ ...page, data: page.data.map((session) => sessions.view(session)) });
      },
    },
    {
      method: 'GET',
      path: `${sessionsPath}/{session}`,
      op: 'sessions.get',
      handle: ({ params }) => ok(sessions.view(sessions.find(params.project, params.agent, params.session))),
    },
    {
      method: 'POST',
      path: `${sessionsPath}/{session}:stop`,
      op: 'sessions.stop',
      handle: ({ params }) => {
        sessions.stop(sessions.find(params.project, params.agent, params.session));
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: `${sessionsPath}/{session}`,
      op: 'sessions.delete',
      // 204 whether or not it existed (SDK doc comment): delete is idempotent.
      handle: ({ params }) => {
        sessions.delete(params.project, params.agent, params.session);
        return { status: 204 };
      },
    },
  ];
}
