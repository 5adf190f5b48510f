/** Ring hash and Maglev over real sockets: a header hash policy keeps each user on one backend; without it, a user's requests spread. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster_LbPolicy } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { assignment, edsCluster, startEcho } from '../_harness.js';
import { vhost, withProxy } from './_e2e.js';
import { seeded } from './_helpers.js';

async function run(hashPolicy: unknown[], lbPolicy = Cluster_LbPolicy.RING_HASH): Promise<Map<string, Set<string>>> {
  const backends = await Promise.all(['a', 'b', 'c'].map((n) => startEcho(n)));
  const c = edsCluster('svc');
  c.lbPolicy = lbPolicy;
  const byUser = new Map<string, Set<string>>();
  try {
    await withProxy({ clusters: [c], endpoints: [assignment('svc', backends.map((b) => ({ port: b.port })))], vhosts: [vhost('svc', { hashPolicy } as never)], random: seeded(1) }, async (env) => {
      for (let u = 0; u < 8; u++) {
        for (let i = 0; i < 5; i++) {
          const r = await env.request('/', { 'x-user': `user-${u}` });
          const set = byUser.get(`user-${u}`) ?? new Set();
          set.add(JSON.parse(r.body).name as string);
          byUser.set(`user-${u}`, set);
        }
      }
    });
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
  return byUser;
}

test('GIVEN RING_HASH and hash_policy header x-user THEN every user sticks to one backend and users spread over more than one', async () => {
  const byUser = await run([{ policySpecifier: { case: 'header', value: { headerName: 'x-user' } } }]);
  for (const [u, s] of byUser) assert.is(s.size, 1, `${u} went to ${[...s]}`);
  assert.ok(new Set([...byUser.values()].map((s) => [...s][0])).size > 1);
});

test('GIVEN MAGLEV and hash_policy header x-user THEN every user sticks to one backend too', async () => {
  const byUser = await run([{ policySpecifier: { case: 'header', value: { headerName: 'x-user' } } }], Cluster_LbPolicy.MAGLEV);
  for (const [u, s] of byUser) assert.is(s.size, 1, `${u} went to ${[...s]}`);
  assert.ok(new Set([...byUser.values()].map((s) => [...s][0])).size > 1);
});

test('GIVEN a cookie hash policy with ttl WHEN the client has no cookie THEN one is set (Max-Age, Path, HttpOnly) and sending it back keeps the client on one backend', async () => {
  const backends = await Promise.all(['a', 'b', 'c'].map((n) => startEcho(n)));
  const c = edsCluster('svc');
  c.lbPolicy = Cluster_LbPolicy.RING_HASH;
  try {
    await withProxy({
      clusters: [c], endpoints: [assignment('svc', backends.map((b) => ({ port: b.port })))],
      vhosts: [vhost('svc', { hashPolicy: [{ policySpecifier: { case: 'cookie', value: { name: 'sid', ttl: { seconds: 60n }, path: '/' } } }] } as never)],
    }, async (env) => {
      const first = await env.request();
      const setCookie = String(first.headers['set-cookie']);
      assert.match(setCookie, /^sid="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
      const cookie = setCookie.split(';')[0]!;
      const names = new Set<string>([JSON.parse(first.body).name as string]);
      for (let i = 0; i < 5; i++) {
        const r = await env.request('/', { cookie });
        assert.is(r.headers['set-cookie'], undefined, 'no new cookie once the client has one');
        names.add(JSON.parse(r.body).name as string);
      }
      assert.is(names.size, 1);
    });
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
});

test('GIVEN a wrong config (no hash policy) THEN a user is not sticky', async () => {
  const byUser = await run([]);
  assert.ok([...byUser.values()].some((s) => s.size > 1));
});

test.run();
