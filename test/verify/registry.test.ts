import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LoopbackAllocator } from '../../src/verify/runtime/addresses.js';
import { ProcessRegistry } from '../../src/verify/runtime/registry.js';

test('GIVEN started things WHEN the registry closes THEN it stops them last-first, reports one that hangs or fails, and refuses new ones', async () => {
  const registry = new ProcessRegistry();
  const order: string[] = [];
  registry.add({ name: 'ads', close: async () => { order.push('ads'); } });
  registry.add({ name: 'stuck proxy', close: () => new Promise<void>(() => {}) });
  registry.add({ name: 'echo', close: async () => { order.push('echo'); throw new Error('socket already closed'); } });
  const errors = await registry.closeAll(50);
  assert.equal(order, ['echo', 'ads']);
  assert.equal(errors, ['echo: socket already closed', 'stuck proxy: did not stop within 50 ms']);
  assert.throws(() => registry.add({ name: 'late', close: async () => {} }), /cannot start late: the verify runtime is shutting down/);
  assert.equal(await registry.closeAll(), []);
});

test('GIVEN a registry WHEN it is closed THEN its signal handlers are gone', async () => {
  const before = process.listenerCount('SIGINT');
  const registry = new ProcessRegistry();
  assert.is(process.listenerCount('SIGINT'), before + 1);
  await registry.closeAll();
  assert.is(process.listenerCount('SIGINT'), before);
});

test('GIVEN the allocator WHEN addresses are drawn THEN they are distinct 127.77.y.z with z never 0 or 255', () => {
  const a = new LoopbackAllocator();
  const seen = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const ip = a.allocate();
    assert.match(ip, /^127\.77\.\d+\.(\d+)$/);
    const z = Number(ip.split('.')[3]);
    assert.ok(z >= 1 && z <= 254, ip);
    seen.add(ip);
  }
  assert.is(seen.size, 600);
});

test('GIVEN a registry stopping everything on SIGINT WHEN the run ends and closes it too THEN that close returns only once everything is stopped, and the registry names the signal', async () => {
  // Stands in for the shell: the registry raises the signal again once it has stopped everything.
  const survive = () => {};
  process.on('SIGINT', survive);
  try {
    const registry = new ProcessRegistry();
    let stopped = false;
    registry.add({ name: 'proxy', close: () => new Promise<void>((r) => setTimeout(() => { stopped = true; r(); }, 200)) });
    assert.is(registry.interrupted, undefined);
    process.emit('SIGINT', 'SIGINT');
    assert.equal(await registry.closeAll(), []);
    assert.ok(stopped, 'closeAll returned while the signal\'s close was still stopping the proxy');
    assert.is(registry.interrupted, 'SIGINT');
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('SIGINT', survive);
  }
});

test('GIVEN a registry closing because the run ended (the traffic finished) WHEN SIGINT arrives while a proxy is still stopping THEN it is said, the registry names the signal (no report), and the handler stayed until everything stopped', async () => {
  // Stands in for the shell: the registry raises the signal again once it has stopped everything.
  const survive = () => {};
  process.on('SIGINT', survive);
  const said: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((text: string) => (said.push(String(text)), true)) as typeof process.stderr.write;
  try {
    const before = process.listenerCount('SIGINT');
    const registry = new ProcessRegistry();
    registry.add({ name: 'proxy', close: () => new Promise<void>((r) => setTimeout(r, 200)) });
    const closing = registry.closeAll();
    assert.is(process.listenerCount('SIGINT'), before + 1, 'the handler is still there while the proxy stops');
    await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT', 'SIGINT');
    assert.equal(await closing, []);
    assert.is(registry.interrupted, 'SIGINT');
    assert.equal(said, ['verify: SIGINT: interrupted as the traffic finished, while stopping everything the run started; no report\n']);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(process.listenerCount('SIGINT'), before, 'gone once everything stopped');
  } finally {
    process.stderr.write = write;
    process.off('SIGINT', survive);
  }
});

test.run();
