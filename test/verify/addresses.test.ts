import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADDRESS_LOCK_DIR, allocateFree, LoopbackAllocator } from '../../src/verify/runtime/addresses.js';
import { ProcessRegistry } from '../../src/verify/runtime/registry.js';

test('GIVEN an allocator WHEN addresses are allocated THEN they are 127.<base>.y.z in order, never .0 or .255', () => {
  const a = new LoopbackAllocator(99);
  assert.equal([a.allocate(), a.allocate()], ['127.99.0.1', '127.99.0.2']);
  const b = new LoopbackAllocator(99);
  for (let i = 0; i < 254; i++) b.allocate();
  assert.is(b.allocate(), '127.99.1.1');
});

test('GIVEN another process holding a port on the next address WHEN a free address is asked for THEN that address is skipped; with no tries left THEN the error names the taken address', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen({ host: '127.98.0.1', port: 0, exclusive: true }, () => r()));
  const port = (holder.address() as AddressInfo).port;
  const registry = new ProcessRegistry();
  try {
    assert.is(await allocateFree(new LoopbackAllocator(98), [port], registry), '127.98.0.2');
    try {
      await allocateFree(new LoopbackAllocator(98), [port], registry, 1);
      assert.unreachable('a taken address was handed out');
    } catch (e) {
      assert.match((e as Error).message, new RegExp(`1 loopback address tried, each with a port taken \\(last 127\\.98\\.0\\.1:${port}\\)`));
    }
  } finally {
    holder.close();
    await registry.closeAll();
  }
});

/** A port no one listens on now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('GIVEN two verify runs that allocate their addresses at once, before either binds a listener WHEN each asks for an address for the same port THEN they get different addresses, and once a run ends its address is handed out again', async () => {
  const port = await freePort();
  const runs = [new ProcessRegistry(), new ProcessRegistry(), new ProcessRegistry()];
  const [one, two, three] = runs;
  try {
    const [a, b] = await Promise.all([allocateFree(new LoopbackAllocator(97), [port], one), allocateFree(new LoopbackAllocator(97), [port], two)]);
    // A third run starting after both probed, while neither has bound yet (the proxies bind later, over xDS).
    const c = await allocateFree(new LoopbackAllocator(97), [port], three);
    assert.equal(new Set([a, b, c]).size, 3, `addresses handed out twice: ${a}, ${b}, ${c}`);
    assert.ok(existsSync(join(ADDRESS_LOCK_DIR, `${a}.lock`)), 'the address is recorded for other runs');
    await one.closeAll();
    assert.not.ok(existsSync(join(ADDRESS_LOCK_DIR, `${a}.lock`)), 'a run that ended releases its addresses');
    assert.is(await allocateFree(new LoopbackAllocator(97), [port], (runs[0] = new ProcessRegistry())), a);
  } finally {
    for (const r of runs) await r.closeAll();
  }
});

test('GIVEN an address lock left by a run that was killed (its pid is gone) WHEN an address is asked for THEN the stale lock is taken over', async () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const port = await freePort();
  const registry = new ProcessRegistry();
  mkdirSync(ADDRESS_LOCK_DIR, { recursive: true });
  writeFileSync(join(ADDRESS_LOCK_DIR, '127.96.0.1.lock'), dead.stdout);
  try {
    assert.is(await allocateFree(new LoopbackAllocator(96), [port], registry), '127.96.0.1');
    assert.is(readFileSync(join(ADDRESS_LOCK_DIR, '127.96.0.1.lock'), 'utf8'), String(process.pid));
  } finally {
    await registry.closeAll();
  }
});

test('GIVEN a run shutting down (Ctrl-C during start-up) WHEN an address is asked for THEN it fails and leaves no lock behind', async () => {
  const port = await freePort();
  const registry = new ProcessRegistry();
  await registry.closeAll();
  try {
    await allocateFree(new LoopbackAllocator(95), [port], registry);
    assert.unreachable('an address was handed out to a closed run');
  } catch (e) {
    assert.match((e as Error).message, /the verify runtime is shutting down/);
  }
  assert.not.ok(existsSync(join(ADDRESS_LOCK_DIR, '127.95.0.1.lock')), 'the lock of an address no run holds is left for others to skip');
});

test('GIVEN the runtime\'s loopback allocators (workloads, callers, gateways, failing replicas) WHEN an address is taken for a listener THEN always through allocateFree, so a second verify run on the machine is skipped, not collided with', () => {
  const dir = resolve(import.meta.dirname, '../../src/verify/runtime');
  const bare = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'addresses.ts')
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').flatMap((line, i) => (/\.allocate\(\)/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
  assert.equal(bare, [], 'addresses handed out without checking that their ports are free');
});

test.run();
