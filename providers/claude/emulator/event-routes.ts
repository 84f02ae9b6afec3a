import { openEventStream, readBody } from '#libs/emulator-kit';
import { EventStreamListener } from './event-stream.js';
import { submitEvents } from './event-intake.js';
import { paginate } from './paging.js';
import type { EmulatorServices, Route } from './route-table.js';
import { listEventsQuery, readQuery, sendEventsBody, streamEventsQuery } from './wire-schemas.js';

/** `/v1/sessions/{id}/events`: send, list (the persisted log) and the live stream. */
export function eventRoutes({ store, runner, lifecycle }: EmulatorServices): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/sessions/{id}/events',
      op: 'events.send',
      handle: async (call) => {
        const session = store.find(call.params.id);
        lifecycle.assertWritable(session);
        const { events } = await readBody(call.req, sendEventsBody);
        return { data: submitEvents(store, runner, session, events) };
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/{id}/events',
      op: 'events.list',
      handle: ({ params, url }) => {
        const session = store.find(params.id);
        const query = listEventsQuery.parse(readQuery(url));
        const matching = query.types ? session.events.filter((event) => query.types?.includes(event.type)) : [...session.events];
        const { data, next_page } = paginate(query.order === 'desc' ? matching.reverse() : matching, query.limit, query.page);
        return { data, next_page };
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/{id}/events/stream',
      op: 'events.stream',
      streaming: true,
      handle: ({ params, url, res, fault }) => {
        const session = store.find(params.id);
        const { event_deltas } = streamEventsQuery.parse(readQuery(url));
        openEventStream(res);
        const listener = new EventStreamListener(res, new Set(event_deltas), fault);
        // A terminated session will never say anything again; don't leave the client hanging.
        if (session.status === 'terminated') return listener.end();
        res.once('close', store.subscribe(session, listener));
      },
    },
  ];
}
