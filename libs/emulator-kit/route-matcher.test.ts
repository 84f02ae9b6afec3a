import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeMatcher } from './route-matcher.js';

const routes = [
  { method: 'POST', path: '/agents/{agent}/sessions/{id}:stop', op: 'stop' },
  { method: 'GET', path: '/agents/{agent}/sessions/{id}', op: 'get' },
  { method: 'GET', path: '/v1.0/items', op: 'dotted' },
];
const match = routeMatcher(routes);

test('captures decoded segments and routes custom methods on their own', () => {
  assert.deepEqual(match('GET', '/agents/a%20b/sessions/s1'), { route: routes[1], params: { agent: 'a b', id: 's1' } });
  assert.equal(match('POST', '/agents/a/sessions/s1:stop')?.route.op, 'stop');
  assert.equal(match('GET', '/agents/a/sessions/s1:stop'), undefined, 'a capture never swallows the custom method');
  assert.equal(match('POST', '/agents/a/sessions/s1'), undefined, 'the method must match');
});

test('literal parts are matched literally', () => {
  assert.equal(match('GET', '/v1.0/items')?.route.op, 'dotted');
  assert.equal(match('GET', '/v1x0/items'), undefined);
});
