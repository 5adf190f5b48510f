/** Load balancer units: round robin (plain and weighted), least request P2C, random, priorities, panic threshold, locality weights. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostSet, hostsFromAssignment, type Host } from '../../../src/proxy/policy/lb/host-set.js';
import { LeastRequestLoadBalancer } from '../../../src/proxy/policy/lb/least-request.js';
import { RandomLoadBalancer } from '../../../src/proxy/policy/lb/random.js';
import { RoundRobinLoadBalancer } from '../../../src/proxy/policy/lb/round-robin.js';
import { cla, scripted, seeded, tally, type EndpointSpec } from './_helpers.js';

const eps = (n: number, extra: Partial<EndpointSpec> = {}) => Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 80, ...extra }));
const set = (e: EndpointSpec[], opts = {}) => new HostSet(hostsFromAssignment(cla('c', e)), opts);
const picks = (lb: { chooseHost(): Host | undefined }, n: number) => Array.from({ length: n }, () => lb.chooseHost()?.key ?? 'none');

test('GIVEN 3 equal hosts WHEN round robin picks 6 THEN each host twice, in order from the random start', () => {
  const lb = new RoundRobinLoadBalancer(set(eps(3)), scripted(0.5));
  assert.equal(picks(lb, 6), ['10.0.0.2:80', '10.0.0.3:80', '10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.1:80']);
});

test('GIVEN weights 3:1 WHEN round robin picks 8 THEN 6 and 2 (EDF)', () => {
  const lb = new RoundRobinLoadBalancer(set([{ ip: '10.0.0.1', port: 80, weight: 3 }, { ip: '10.0.0.2', port: 80, weight: 1 }]), scripted(0));
  assert.equal([...tally(picks(lb, 8))].sort(), [['10.0.0.1:80', 6], ['10.0.0.2:80', 2]]);
});

test('GIVEN one of 4 hosts ejected (75 % healthy, above the 50 % panic threshold) THEN it gets no traffic', () => {
  const s = set(eps(4));
  s.hosts[0]!.ejected = true;
  s.healthChanged();
  const got = tally(picks(new RoundRobinLoadBalancer(s, seeded(1)), 30));
  assert.is(got.get('10.0.0.1:80'), undefined);
  assert.is(got.size, 3);
});

test('GIVEN 3 of 4 hosts ejected (25 % healthy < 50 %) THEN panic: all hosts get traffic', () => {
  const s = set(eps(4));
  for (const h of s.hosts.slice(0, 3)) h.ejected = true;
  s.healthChanged();
  assert.ok(s.inPanic(0));
  assert.is(tally(picks(new RoundRobinLoadBalancer(s, seeded(1)), 40)).size, 4);
});

test('GIVEN panic threshold 0 (Istio minHealthPercent 0) and every host ejected THEN no host (503 UH)', () => {
  const s = set(eps(2), { panicThreshold: 0 });
  for (const h of s.hosts) h.ejected = true;
  s.healthChanged();
  assert.is(new RoundRobinLoadBalancer(s, seeded(1)).chooseHost(), undefined);
});

test('GIVEN priority 0 with 1 of 2 hosts healthy THEN 70 % of load stays there (1.4 overprovisioning), 30 % spills to priority 1', () => {
  const s = set([...eps(2), { ip: '10.0.1.1', port: 80, priority: 1 }]);
  s.hosts[0]!.ejected = true;
  s.healthChanged();
  assert.equal(s.priorityLoad(), [70, 30]);
  assert.is(s.choosePriority(69), 0);
  assert.is(s.choosePriority(70), 1);
});

test('GIVEN locality weights 1:3 with locality weighting on THEN traffic splits ~25/75 by locality', () => {
  const s = set([{ ip: '10.0.0.1', port: 80, zone: 'a', localityWeight: 1 }, { ip: '10.0.0.2', port: 80, zone: 'b', localityWeight: 3 }], { localityWeighted: true });
  const got = tally(picks(new RoundRobinLoadBalancer(s, seeded(5)), 400));
  const a = got.get('10.0.0.1:80') ?? 0;
  assert.ok(a > 60 && a < 140, `zone a got ${a} of 400`);
});

test('GIVEN least request with 4 hosts, two busy THEN P2C never picks the busiest when it draws an idle one', () => {
  const s = set(eps(4));
  s.hosts[0]!.activeRequests = 5;
  s.hosts[1]!.activeRequests = 5;
  // draws: priority, then two host indices: 0 (busy) and 2 (idle) -> idle wins
  const lb = new LeastRequestLoadBalancer(s, scripted(0, 0, 0.5));
  assert.is(lb.chooseHost()?.key, '10.0.0.3:80');
  const r = seeded(9);
  const got = tally(picks(new LeastRequestLoadBalancer(s, r), 200));
  // A busy host wins only when both draws are busy: p = 1/4, so ~50 of 200 (random would give ~100).
  const busy = (got.get('10.0.0.1:80') ?? 0) + (got.get('10.0.0.2:80') ?? 0);
  assert.ok(Math.abs(busy - 50) < 4 * Math.sqrt(200 * 0.25 * 0.75), `busy hosts got ${busy} of 200`);
});

test('GIVEN least request over 2 hosts THEN it still draws at random (N_CHOICES, no automatic full scan): both draws on the busy host pick it', () => {
  const s = set(eps(2));
  s.hosts[0]!.activeRequests = 3;
  // draws: priority, then host indices 0 and 0 -> the busy host, as Envoy's unweightedHostPickNChoices
  assert.is(new LeastRequestLoadBalancer(s, scripted(0, 0, 0)).chooseHost()?.key, '10.0.0.1:80');
  assert.is(new LeastRequestLoadBalancer(s, scripted(0, 0, 0.5)).chooseHost()?.key, '10.0.0.2:80');
});

test('GIVEN least request over 2 idle hosts WHEN 400 sequential seeded picks THEN each gets about half, not all to the first', () => {
  const got = tally(picks(new LeastRequestLoadBalancer(set(eps(2)), seeded(4)), 400));
  for (const key of ['10.0.0.1:80', '10.0.0.2:80']) {
    const n = got.get(key) ?? 0;
    assert.ok(Math.abs(n - 200) < 4 * Math.sqrt(400 * 0.25), `${key} got ${n} of 400`);
  }
});

test('GIVEN random over 4 hosts WHEN 400 seeded picks THEN every host within 4 sigma of 100', () => {
  const got = tally(picks(new RandomLoadBalancer(set(eps(4)), seeded(2)), 400));
  for (const [, n] of got) assert.ok(Math.abs(n - 100) < 4 * Math.sqrt(400 * 0.25 * 0.75), String(n));
});

test('GIVEN a retry predicate rejecting the first pick THEN another host is chosen within host_selection_retry_max_attempts', () => {
  const lb = new RoundRobinLoadBalancer(set(eps(3)), scripted(0));
  const h = lb.chooseHost({ hostSelectionRetryCount: 2, shouldSelectAnotherHost: (x) => x.key === '10.0.0.2:80' });
  assert.ok(h && h.key !== '10.0.0.2:80');
});

test('GIVEN an EDS update THEN surviving hosts keep their ejection and active counts', () => {
  const a = hostsFromAssignment(cla('c', eps(2)));
  a[0]!.ejected = true;
  a[0]!.activeRequests = 4;
  const b = hostsFromAssignment(cla('c', eps(3)), a);
  assert.is(b[0], a[0]);
  assert.is(b.length, 3);
});

test('GIVEN a wrong config (weights 1:1 instead of 3:1) THEN the split differs', () => {
  const even = new RoundRobinLoadBalancer(set([{ ip: '10.0.0.1', port: 80, weight: 1 }, { ip: '10.0.0.2', port: 80, weight: 1 }]), scripted(0));
  assert.is(tally(picks(even, 8)).get('10.0.0.1:80'), 4);
});

test.run();
