import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allocateFree, LoopbackAllocator } from '../../src/verify/runtime/addresses.js';

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
  try {
    assert.is(await allocateFree(new LoopbackAllocator(98), [port]), '127.98.0.2');
    try {
      await allocateFree(new LoopbackAllocator(98), [port], 1);
      assert.unreachable('a taken address was handed out');
    } catch (e) {
      assert.match((e as Error).message, new RegExp(`1 loopback address tried, each with a port taken \\(last 127\\.98\\.0\\.1:${port}\\)`));
    }
  } finally {
    holder.close();
  }
});

test('GIVEN the runtime\'s loopback allocators (workloads, callers, gateways, failing replicas) WHEN an address is taken for a listener THEN always through allocateFree, so a second verify run on the machine is skipped, not collided with', () => {
  const dir = resolve(import.meta.dirname, '../../src/verify/runtime');
  const bare = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'addresses.ts')
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').flatMap((line, i) => (/\.allocate\(\)/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
  assert.equal(bare, [], 'addresses handed out without checking that their ports are free');
});

test.run();
