/** Ring hash and hash policy units: ring sizing, stickiness, consistency on host removal, header/cookie/source IP/query hashing. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouteAction_HashPolicySchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { Cluster_RingHashLbConfigSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { compileHashPolicy, cookieValue } from '../../../src/proxy/policy/hash-policy.js';
import { HostSet, hostsFromAssignment } from '../../../src/proxy/policy/lb/host-set.js';
import { Ring, RingHashLoadBalancer } from '../../../src/proxy/policy/lb/ring-hash.js';
import { xxHash64, xxHash64Chain } from '../../../src/proxy/policy/lb/xxhash.js';
import { cla, seeded, tally } from './_helpers.js';

const hp = (p: Record<string, unknown>) => create(RouteAction_HashPolicySchema, p);
const hosts = (n: number) => hostsFromAssignment(cla('c', Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 80 }))));

test('GIVEN 3 equal hosts and minimum_ring_size 1024 THEN 1026 entries (342 each: ceil(1/3*1024)*3), sorted', () => {
  const r = new Ring(hosts(3), 1024, 8 << 20);
  assert.is(r.hashes.length, 1026);
  assert.equal([...tally(r.hosts.map((h) => h.key)).values()], [342, 342, 342]);
  for (let i = 1; i < r.hashes.length; i++) assert.ok(r.hashes[i - 1]! <= r.hashes[i]!);
});

test('GIVEN weights 1:3 THEN the ring gives 256:768 entries (lightest host ceil(0.25*1024)); maximum_ring_size caps it', () => {
  const hs = hostsFromAssignment(cla('c', [{ ip: '10.0.0.1', port: 80, weight: 1 }, { ip: '10.0.0.2', port: 80, weight: 3 }]));
  const r = new Ring(hs, 1024, 8 << 20);
  assert.equal([...tally(r.hosts.map((h) => h.key))].sort(), [['10.0.0.1:80', 256], ['10.0.0.2:80', 768]]);
  assert.is(new Ring(hs, 4000, 2000).hashes.length, 2000);
});

test('GIVEN a hash THEN the first entry at or after it is chosen, wrapping past the end', () => {
  const r = new Ring(hosts(2), 4, 100);
  assert.is(r.choose(r.hashes[2]!), r.hosts[2]);
  assert.is(r.choose(r.hashes[2]! + 1n), r.hosts[3]);
  assert.is(r.choose(r.hashes[r.hashes.length - 1]! + 1n), r.hosts[0]);
  assert.is(r.choose(0n, 1), r.hosts[1], 'retry attempt steps one entry on');
});

test('GIVEN a header hash policy WHEN the same user repeats THEN the same host; 200 users spread over all 4 hosts', () => {
  const set = new HostSet(hosts(4));
  const lb = new RingHashLoadBalancer(set, seeded(1), create(Cluster_RingHashLbConfigSchema, {}));
  const policy = compileHashPolicy([hp({ policySpecifier: { case: 'header', value: { headerName: 'x-user' } } })])!;
  const pick = (u: string) => lb.chooseHost({ hashKey: policy({ headers: { 'x-user': u }, path: '/' }).hash })!.key;
  for (const u of ['alice', 'bob', 'carol']) assert.is(new Set(Array.from({ length: 20 }, () => pick(u))).size, 1, u);
  assert.is(tally(Array.from({ length: 200 }, (_, i) => pick(`u${i}`))).size, 4);
});

test('GIVEN one of 4 hosts removed (300 entries per host before and after) THEN keys on the other hosts stay put', () => {
  const hs = hosts(4);
  const before = new Ring(hs, 1200, 8 << 20);
  const after = new Ring(hs.slice(0, 3), 900, 8 << 20);
  let moved = 0;
  for (let i = 0; i < 300; i++) {
    const h = xxHash64(`k${i}`);
    const a = before.choose(h)!;
    if (a.key !== '10.0.0.4:80' && after.choose(h)!.key !== a.key) moved++;
  }
  assert.is(moved, 0);
});

test('GIVEN hash policies THEN header values sort, cookie quotes strip, source IP and query parameter hash, terminal stops', () => {
  const header = compileHashPolicy([hp({ policySpecifier: { case: 'header', value: { headerName: 'x-a' } } })])!;
  assert.is(header({ headers: { 'x-a': ['b', 'a'] }, path: '/' }).hash, xxHash64Chain(['a', 'b']));
  assert.is(header({ headers: {}, path: '/' }).hash, undefined);
  const cookie = compileHashPolicy([hp({ policySpecifier: { case: 'cookie', value: { name: 'sid' } } })])!;
  assert.is(cookie({ headers: { cookie: 'x=1; sid="abc"' }, path: '/' }).hash, xxHash64('abc'));
  const ip = compileHashPolicy([hp({ policySpecifier: { case: 'connectionProperties', value: { sourceIp: true } } })])!;
  assert.is(ip({ headers: {}, path: '/', sourceIp: '10.1.2.3' }).hash, xxHash64('10.1.2.3'));
  const q = compileHashPolicy([hp({ policySpecifier: { case: 'queryParameter', value: { name: 'u' } } })])!;
  assert.is(q({ headers: {}, path: '/p?a=1&u=bob' }).hash, xxHash64('bob'));
  const two = [hp({ policySpecifier: { case: 'header', value: { headerName: 'x-a' } }, terminal: true }), hp({ policySpecifier: { case: 'header', value: { headerName: 'x-b' } } })];
  const h = { 'x-a': '1', 'x-b': '2' };
  assert.is(compileHashPolicy(two)!({ headers: h, path: '/' }).hash, xxHash64('1'), 'terminal');
  const a = xxHash64('1');
  const rot = ((a << 1n) | (a >> 63n)) & ((1n << 64n) - 1n);
  two[0]!.terminal = false;
  assert.is(compileHashPolicy(two)!({ headers: h, path: '/' }).hash, rot ^ xxHash64('2'), 'combined: rotate left 1, xor');
});

test('GIVEN a cookie policy with ttl and no cookie THEN a cookie is generated from the addresses and set on the response', () => {
  const p = compileHashPolicy([hp({ policySpecifier: { case: 'cookie', value: { name: 'sid', ttl: { seconds: 60n }, path: '/' } } })])!;
  const r = p({ headers: {}, path: '/', remoteAddress: '10.0.0.9:5000', localAddress: '10.0.0.1:80' });
  const value = xxHash64('10.0.0.9:500010.0.0.1:80').toString(16).padStart(16, '0');
  assert.is(r.setCookie, `sid="${value}"; Max-Age=60; Path=/; HttpOnly`);
  assert.is(r.hash, xxHash64(value));
  assert.is(cookieValue({ cookie: r.setCookie!.split(';')[0]! }, 'sid'), value, 'the client sends it back and hashes the same');
});

test('GIVEN a wrong config (hash on x-other instead of x-user) THEN no hash key: the pick is random', () => {
  const right = compileHashPolicy([hp({ policySpecifier: { case: 'header', value: { headerName: 'x-user' } } })])!;
  const wrong = compileHashPolicy([hp({ policySpecifier: { case: 'header', value: { headerName: 'x-other' } } })])!;
  assert.ok(right({ headers: { 'x-user': 'a' }, path: '/' }).hash !== undefined);
  assert.is(wrong({ headers: { 'x-user': 'a' }, path: '/' }).hash, undefined);
});

test.run();
