/** Maglev unit: table fill, weights, stickiness, minimal disruption, prime table size. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster_MaglevLbConfigSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HostSet, hostsFromAssignment } from '../../../src/proxy/policy/lb/host-set.js';
import { MaglevLoadBalancer, MaglevTable, maglevTableSize } from '../../../src/proxy/policy/lb/maglev.js';
import { xxHash64 } from '../../../src/proxy/policy/lb/xxhash.js';
import { cla, seeded, tally } from './_helpers.js';

const hosts = (n: number, weights: number[] = []) => hostsFromAssignment(cla('c', Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 80, ...(weights[i] ? { weight: weights[i] } : {}) }))));

test('GIVEN 3 equal hosts and table size 65537 THEN every slot is filled and each host holds about a third', () => {
  const t = new MaglevTable(hosts(3), 65537);
  assert.is(t.slots.filter(Boolean).length, 65537);
  for (const [, n] of tally(t.slots.map((h) => h!.key))) assert.ok(Math.abs(n - 65537 / 3) <= 1, String(n));
});

test('GIVEN weights 1:3 THEN slots split 1:3', () => {
  const counts = [...tally(new MaglevTable(hosts(2, [1, 3]), 65537).slots.map((h) => h!.key)).entries()].sort();
  assert.ok(Math.abs(counts[0]![1] - 65537 / 4) < 2 && Math.abs(counts[1]![1] - (3 * 65537) / 4) < 2, JSON.stringify(counts));
});

test('GIVEN host order shuffled THEN the table is the same (hosts sorted by key, as Envoy)', () => {
  const hs = hosts(4);
  const a = new MaglevTable(hs, 251);
  const b = new MaglevTable([...hs].reverse(), 251);
  assert.equal(a.slots.map((h) => h!.key), b.slots.map((h) => h!.key));
});

test('GIVEN one of 5 hosts removed THEN most keys of the other hosts stay put (minimal disruption)', () => {
  const hs = hosts(5);
  const before = new MaglevTable(hs, 65537);
  const after = new MaglevTable(hs.slice(0, 4), 65537);
  let stayed = 0; let total = 0;
  for (let i = 0; i < 2000; i++) {
    const h = xxHash64(`k${i}`);
    const a = before.choose(h, 0)!;
    if (a.key === '10.0.0.5:80') continue;
    total++;
    if (after.choose(h, 0)!.key === a.key) stayed++;
  }
  assert.ok(stayed / total > 0.9, `${stayed}/${total} stayed`);
});

test('GIVEN a retry attempt THEN the hash is XORed with 2^64 - attempt and usually another slot answers', () => {
  const t = new MaglevTable(hosts(3), 65537);
  const h = xxHash64('user');
  const mask = (1n << 64n) - 1n;
  assert.is(t.choose(h, 1), t.slots[Number((h ^ mask) % 65537n)]);
  assert.is(t.choose(h, 2), t.slots[Number((h ^ (mask - 1n)) % 65537n)]);
});

test('GIVEN the balancer and a hash key THEN the same key always reaches the same host', () => {
  const lb = new MaglevLoadBalancer(new HostSet(hosts(3)), seeded(1), create(Cluster_MaglevLbConfigSchema, { tableSize: 251n }));
  const k = xxHash64('alice');
  assert.is(new Set(Array.from({ length: 10 }, () => lb.chooseHost({ hashKey: k })!.key)).size, 1);
});

test('GIVEN a table size that is not prime THEN a ConfigError at maglev_lb_config.table_size', () => {
  assert.throws(() => maglevTableSize(create(Cluster_MaglevLbConfigSchema, { tableSize: 65536n })), /maglev_lb_config\.table_size: 65536 is not a prime/);
  assert.is(maglevTableSize(undefined), 65537);
});

test.run();
