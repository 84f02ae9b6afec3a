import { readBody } from '#libs/emulator-kit';
import type { EmulatorServices, Route } from './route-table.js';
import { createAgentBody, createEnvironmentBody } from './wire-schemas.js';

/** `/v1/environments` and `/v1/agents`: create and retrieve, enough for a client's one-time setup. */
export function setupRoutes({ setup }: EmulatorServices): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/environments',
      op: 'environments.create',
      handle: async (call) => setup.createEnvironment(await readBody(call.req, createEnvironmentBody)),
    },
    { method: 'GET', path: '/v1/environments/{id}', op: 'environments.retrieve', handle: ({ params }) => setup.environment(params.id) },
    { method: 'POST', path: '/v1/agents', op: 'agents.create', handle: async (call) => setup.createAgent(await readBody(call.req, createAgentBody)) },
    { method: 'GET', path: '/v1/agents/{id}', op: 'agents.retrieve', handle: ({ params }) => setup.agent(params.id) },
  ];
}
