import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostIndex } from '../../src/mesh/host-index.js';
import { hostsIntersect } from '../../src/mesh/hosts.js';

const HOSTS = [
  '*', '*.com', 'example.com', '*.example.com', 'a.example.com', '*.a.example.com', 'b.a.example.com',
  'api.example.com', '*.api.example.com', 'example.org', '*.org', 'reviews.default.svc.cluster.local',
  '*.svc.cluster.local', 'other.com', '*xample.com', '*le.com', 'a.b',
];

function indexOf(hosts: readonly string[]): HostIndex<string> {
  const index = new HostIndex<string>();
  for (const h of hosts) index.add(h, h);
  return index;
}

test('GIVEN every pair of hosts WHEN looked up THEN the index returns exactly what hostsIntersect says', () => {
  const index = indexOf(HOSTS);
  const queries = [...HOSTS, 'x.y.example.com', 'nothing.net', '*.net', '*.b.a.example.com', 'com'];
  for (const q of queries) {
    const want = HOSTS.filter((h) => hostsIntersect(q, h)).sort();
    assert.equal(index.all(q).sort(), want, `all(${q})`);
    assert.is(index.count(q), want.length, `count(${q})`);
    const two = index.some(q, 2);
    assert.is(two.length, Math.min(2, want.length), `some(${q}, 2)`);
    for (const h of two) assert.ok(want.includes(h), `some(${q}) returned ${h}`);
  }
});

test('GIVEN a filter WHEN some() is asked for 3 THEN it skips rejected values and stops at 3', () => {
  const index = indexOf(HOSTS);
  const got = index.some('*', 3, (h) => h.startsWith('*'));
  assert.is(got.length, 3);
  assert.ok(got.every((h) => h.startsWith('*')));
});

test('GIVEN one host added many times WHEN counted THEN the count is exact and some() is bounded', () => {
  const index = new HostIndex<number>();
  for (let i = 0; i < 10_000; i++) index.add(i % 2 ? '*.example.com' : `h${i}.example.com`, i);
  assert.is(index.count('*.example.com'), 10_000);
  assert.is(index.count('h0.example.com'), 5_001);
  assert.is(index.count('*'), 10_000);
  assert.is(index.some('*', 3).length, 3);
  assert.is(index.length, 10_000);
});

test.run();
