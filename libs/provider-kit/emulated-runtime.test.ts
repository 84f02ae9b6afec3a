import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuntimeAdapter } from '#libs/runtime-spec';
import { silentLog } from './debug-log.js';
import { startEmulatedRuntime, type EmulatorEndpoint, type EmulatorPlacement } from './emulated-runtime.js';

const probe = { moduleUrl: new URL('./thread-probe-emulator.fixture.js', import.meta.url).href, exportName: 'startThreadProbeEmulator' };

async function start(placement: EmulatorPlacement, emulator = probe, log = silentLog, pacingMs = 0) {
  const endpoints: EmulatorEndpoint[] = [];
  let adapterClosed = false;
  const runtime = await startEmulatedRuntime({
    label: 'Probe',
    because: 'a test',
    emulator,
    emulators: { emulatorPlacement: placement, emulatorPacingMs: pacingMs },
    log,
    adapter: (endpoint) => {
      endpoints.push(endpoint);
      return { adapter: { id: 'claude' } as unknown as RuntimeAdapter, close: () => void (adapterClosed = true) };
    },
  });
  return { runtime, endpoint: endpoints[0], adapterClosed: () => adapterClosed };
}

const ask = async (endpoint: EmulatorEndpoint) => (await fetch(endpoint.url)).json() as Promise<{ isMainThread: boolean; threadId: number; options: object }>;

test('in-process: the emulator runs on the broker thread, and its handle is kept for tests', async () => {
  const { runtime, endpoint, adapterClosed } = await start('in-process');
  try {
    const served = await ask(endpoint);
    assert.equal(served.isMainThread, true);
    assert.deepEqual(served.options, { pacingMs: 0 });
    assert.ok(runtime.emulator, 'the in-process handle');
    assert.deepEqual(runtime.demoTarget, { probe: true });
    assert.equal(endpoint.host, '127.0.0.1');
    assert.ok(endpoint.port > 0);
  } finally {
    await runtime.close();
  }
  assert.equal(adapterClosed(), true);
  await assert.rejects(fetch(endpoint.url), 'the emulator stopped with the runtime');
});

test('thread: the emulator runs on a worker thread, reached only over the network, and stops with the runtime', async () => {
  const { runtime, endpoint, adapterClosed } = await start('thread', probe, silentLog, 25);
  try {
    const served = await ask(endpoint);
    assert.equal(served.isMainThread, false);
    assert.ok(served.threadId > 0);
    assert.deepEqual(served.options, { pacingMs: 25 }, 'the configured pacing reaches the emulator');
    assert.equal(runtime.emulator, undefined, 'no handle across threads');
    assert.deepEqual(runtime.demoTarget, { probe: true });
  } finally {
    await runtime.close();
  }
  assert.equal(adapterClosed(), true);
  await assert.rejects(fetch(endpoint.url), 'the emulator stopped with the runtime');
});

test('an emulator that cannot start fails the runtime start, in either placement', async () => {
  for (const placement of ['in-process', 'thread'] as const) {
    await assert.rejects(start(placement, { ...probe, exportName: 'startFailingEmulator' }), /no port for the probe/, placement);
    await assert.rejects(start(placement, { ...probe, exportName: 'noSuchExport' }), /exports no emulator start function noSuchExport/, placement);
  }
});

test('an emulator thread that dies says so in the log (its runtime then fails its calls as unavailable)', async () => {
  const warnings: Array<{ details: Record<string, unknown>; message: string }> = [];
  const log = { debug: () => undefined, warn: (details: Record<string, unknown>, message: string) => void warnings.push({ details, message }) };
  const { runtime } = await start('thread', { ...probe, exportName: 'startShortLivedEmulator' }, log);
  const deadline = Date.now() + 5_000;
  while (!warnings.some((warning) => warning.message.includes('exited')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const exited = warnings.find((warning) => warning.message.includes('exited'));
  assert.ok(exited, `an exit warning; got ${JSON.stringify(warnings)}`);
  assert.equal(exited.details.code, 3);
  await runtime.close();
});
