/**
 * `clusterOf` (src/verify/runtime/judge-outlier.ts): which of the caller's clusters holding a failing replica a
 * verdict names. The access log names only each request's last try, so a replica whose tries were all retried away
 * is named by none; then the cluster the caller sent tries to wins, not a subset's cluster no route used.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterOf } from '../../src/verify/runtime/judge-outlier.js';
import type { Caller } from '../../src/verify/runtime/mesh.js';

const HOST = 'customers.customers.svc.cluster.local';
const REPLICA = '127.76.0.9';

function caller(tries: Record<string, number>, log: { upstreamHost?: string; upstreamCluster?: string }[] = []): Caller {
  const hosts = (...addresses: string[]) => ({ compiled: addresses.map((address) => ({ address })) });
  const endpoints = new Map([
    [`outbound|80||${HOST}`, hosts('127.77.0.1', '127.77.0.2', REPLICA, '127.76.0.10')],
    [`outbound|80|v1|${HOST}`, hosts('127.77.0.1', REPLICA)],
  ]);
  const clusters = new Map(Object.entries(tries).map(([name, n]) => [name, { upstream_rq_total: n }]));
  return { proxy: { store: { endpoints }, stats: { clusters } }, log: () => log } as unknown as Caller;
}

test('GIVEN routes to the whole host and no access-log entry naming the replica WHEN its cluster is named THEN it is the cluster the caller sent tries to, with its host count', () => {
  assert.equal(clusterOf(caller({ [`outbound|80||${HOST}`]: 40 }), REPLICA), { name: `outbound|80||${HOST}`, hosts: 4, tries: 40 });
});

test('GIVEN routes to the subset WHEN its cluster is named THEN it is the subset\'s (the most tries, then the smallest)', () => {
  assert.is(clusterOf(caller({ [`outbound|80|v1|${HOST}`]: 40 }), REPLICA)?.name, `outbound|80|v1|${HOST}`);
  assert.is(clusterOf(caller({}), REPLICA)?.name, `outbound|80|v1|${HOST}`);
});

test('GIVEN an access-log entry naming the replica WHEN its cluster is named THEN the logged cluster wins', () => {
  const logged = [{ upstreamHost: `${REPLICA}:3000`, upstreamCluster: `outbound|80||${HOST}` }];
  assert.is(clusterOf(caller({ [`outbound|80|v1|${HOST}`]: 40 }, logged), REPLICA)?.name, `outbound|80||${HOST}`);
});

test.run();
