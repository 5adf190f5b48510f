/** Outlier detection unit: consecutive 5xx / gateway / local-origin, max ejection percent, growing ejection time, uneject on the interval. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutlierDetectionSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { HostSet, hostsFromAssignment } from '../../../src/proxy/policy/lb/host-set.js';
import { OutlierDetector } from '../../../src/proxy/policy/outlier-detection.js';
import { cla, manualClock, scripted } from './_helpers.js';

const s = (n: number) => ({ seconds: BigInt(n) });
function setup(n: number, od: Record<string, unknown>, random = scripted(0)) {
  const hosts = hostsFromAssignment(cla('c', Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 80 }))));
  const set = new HostSet(hosts);
  const clock = manualClock();
  const d = new OutlierDetector(create(OutlierDetectionSchema, od), set, clock.now, random);
  return { hosts, set, clock, d };
}

test('GIVEN consecutive_5xx 3 WHEN a host answers 500 three times THEN it is ejected; a 200 in between resets the count', () => {
  const { hosts, d } = setup(2, { consecutive5xx: 3, maxEjectionPercent: 100 });
  const h = hosts[0]!;
  d.putHttpStatus(h, 500); d.putHttpStatus(h, 500); d.putHttpStatus(h, 200); d.putHttpStatus(h, 500); d.putHttpStatus(h, 500);
  assert.not.ok(h.ejected);
  d.putHttpStatus(h, 503);
  assert.ok(h.ejected);
  assert.is(d.ejectionsActive, 1);
});

test('GIVEN consecutive_gateway_failure 2 enforced THEN 502/504 eject; a 500 resets the gateway count; not enforced (default 0) it does not', () => {
  const { hosts, d } = setup(2, { consecutive5xx: 100, consecutiveGatewayFailure: 2, enforcingConsecutiveGatewayFailure: 100, maxEjectionPercent: 100 });
  d.putHttpStatus(hosts[0]!, 502); d.putHttpStatus(hosts[0]!, 500); d.putHttpStatus(hosts[0]!, 504);
  assert.not.ok(hosts[0]!.ejected);
  d.putHttpStatus(hosts[0]!, 502);
  assert.ok(hosts[0]!.ejected);
  const off = setup(2, { consecutive5xx: 100, consecutiveGatewayFailure: 2, maxEjectionPercent: 100 });
  off.d.putHttpStatus(off.hosts[0]!, 502); off.d.putHttpStatus(off.hosts[0]!, 502);
  assert.not.ok(off.hosts[0]!.ejected);
});

test('GIVEN max_ejection_percent 50 of 4 hosts THEN two may be ejected, the third is refused (overflow)', () => {
  const { hosts, d } = setup(4, { consecutive5xx: 1, maxEjectionPercent: 50 });
  for (const h of hosts.slice(0, 3)) d.putHttpStatus(h, 500);
  assert.equal(hosts.map((h) => h.ejected), [true, true, false, false]);
  assert.is(d.overflows, 1);
});

test('GIVEN the default max_ejection_percent 10 and 2 hosts THEN nothing is ejected (1/2 > 10 %)', () => {
  const { hosts, d } = setup(2, { consecutive5xx: 1 });
  d.putHttpStatus(hosts[0]!, 500);
  assert.not.ok(hosts[0]!.ejected);
});

test('GIVEN base 30 s, interval 10 s WHEN ejected twice THEN out 30 s then 60 s; unejected only on an interval tick', () => {
  const { hosts, d, clock } = setup(2, { consecutive5xx: 1, maxEjectionPercent: 100, interval: s(10), baseEjectionTime: s(30) });
  const h = hosts[0]!;
  d.putHttpStatus(h, 500);
  assert.is(d.ejectionDurationMs(h), 30_000);
  clock.advance(29_999); d.onIntervalTimer();
  assert.ok(h.ejected);
  clock.advance(1);
  assert.ok(h.ejected, 'time is up but no tick yet');
  d.onIntervalTimer();
  assert.not.ok(h.ejected);
  d.putHttpStatus(h, 500);
  assert.ok(h.ejected);
  assert.is(d.ejectionDurationMs(h), 60_000);
  assert.is(d.monitor(h)!.numEjections, 2);
});

test('GIVEN max_ejection_time 45 s THEN the growing ejection time is capped', () => {
  const { hosts, d, clock } = setup(2, { consecutive5xx: 1, maxEjectionPercent: 100, baseEjectionTime: s(30), maxEjectionTime: s(45) });
  const h = hosts[0]!;
  d.putHttpStatus(h, 500);
  clock.advance(30_000); d.onIntervalTimer();
  d.putHttpStatus(h, 500);
  assert.is(d.ejectionDurationMs(h), 45_000);
});

test('GIVEN a host healthy for whole intervals after unejection THEN its backoff shrinks back', () => {
  const { hosts, d, clock } = setup(2, { consecutive5xx: 1, maxEjectionPercent: 100, interval: s(10), baseEjectionTime: s(30) });
  const h = hosts[0]!;
  d.putHttpStatus(h, 500);
  clock.advance(30_000); d.onIntervalTimer();
  clock.advance(10_000); d.onIntervalTimer();
  assert.is(d.monitor(h)!.ejectTimeBackoff, 0);
  d.putHttpStatus(h, 500);
  assert.is(d.ejectionDurationMs(h), 30_000);
});

test('GIVEN enforcing_consecutive_5xx 30 THEN a draw below 30 ejects, a draw at 30 does not', () => {
  const yes = setup(2, { consecutive5xx: 1, maxEjectionPercent: 100, enforcingConsecutive5xx: 30 }, scripted(0.29));
  yes.d.putHttpStatus(yes.hosts[0]!, 500);
  assert.ok(yes.hosts[0]!.ejected);
  const no = setup(2, { consecutive5xx: 1, maxEjectionPercent: 100, enforcingConsecutive5xx: 30 }, scripted(0.30));
  no.d.putHttpStatus(no.hosts[0]!, 500);
  assert.not.ok(no.hosts[0]!.ejected);
});

test('GIVEN split_external_local_origin_errors THEN connect failures count separately; unsplit they count as 503', () => {
  const split = setup(2, { consecutive5xx: 2, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: 2, maxEjectionPercent: 100 });
  split.d.putLocalResult(split.hosts[0]!, 'connect-failed');
  split.d.putLocalResult(split.hosts[0]!, 'connect-success');
  split.d.putLocalResult(split.hosts[0]!, 'timeout');
  assert.not.ok(split.hosts[0]!.ejected);
  split.d.putLocalResult(split.hosts[0]!, 'connect-failed');
  assert.ok(split.hosts[0]!.ejected);
  const unsplit = setup(2, { consecutive5xx: 2, maxEjectionPercent: 100 });
  unsplit.d.putLocalResult(unsplit.hosts[0]!, 'connect-failed');
  unsplit.d.putLocalResult(unsplit.hosts[0]!, 'timeout');
  assert.ok(unsplit.hosts[0]!.ejected);
});

test('GIVEN max_ejection_time below base_ejection_time THEN a ConfigError', () => {
  assert.throws(() => setup(1, { baseEjectionTime: s(30), maxEjectionTime: s(10) }), /outlier_detection\.max_ejection_time: 10000ms is below base_ejection_time 30000ms/);
});

test('GIVEN a wrong config (consecutive_5xx 5 instead of 2) THEN two 500s do not eject', () => {
  const right = setup(2, { consecutive5xx: 2, maxEjectionPercent: 100 });
  const wrong = setup(2, { consecutive5xx: 5, maxEjectionPercent: 100 });
  for (const x of [right, wrong]) { x.d.putHttpStatus(x.hosts[0]!, 500); x.d.putHttpStatus(x.hosts[0]!, 500); }
  assert.ok(right.hosts[0]!.ejected);
  assert.not.ok(wrong.hosts[0]!.ejected);
});

test('GIVEN a stats sink WHEN gateway failures are detected but not enforced, one 5xx ejection happens, one is refused by max_ejection_percent and the host returns THEN the counters are Envoy\'s', () => {
  const hosts = hostsFromAssignment(cla('c', [1, 2].map((i) => ({ ip: `10.0.0.${i}`, port: 80 }))));
  const clock = manualClock();
  const stats = { outlier_detection_ejections_active: 0, outlier_detection_ejections_overflow: 0, outlier_detection_ejections_enforced_total: 0, outlier_detection_ejections_detected_consecutive_5xx: 0, outlier_detection_ejections_enforced_consecutive_5xx: 0, outlier_detection_ejections_detected_consecutive_gateway_failure: 0, outlier_detection_ejections_enforced_consecutive_gateway_failure: 0, outlier_detection_ejections_detected_consecutive_local_origin_failure: 0, outlier_detection_ejections_enforced_consecutive_local_origin_failure: 0 };
  const d = new OutlierDetector(create(OutlierDetectionSchema, { consecutive5xx: 2, consecutiveGatewayFailure: 2, interval: { nanos: 100_000_000 }, baseEjectionTime: { nanos: 300_000_000 }, maxEjectionPercent: 50 }), new HostSet(hosts), clock.now, scripted(0), stats);
  d.putHttpStatus(hosts[0]!, 503); d.putHttpStatus(hosts[0]!, 503);
  assert.ok(hosts[0]!.ejected);
  d.putHttpStatus(hosts[1]!, 500); d.putHttpStatus(hosts[1]!, 500);
  assert.not.ok(hosts[1]!.ejected, 'a second ejection would be 100 % of two hosts');
  assert.equal(stats, {
    ...stats, outlier_detection_ejections_active: 1, outlier_detection_ejections_enforced_total: 1, outlier_detection_ejections_overflow: 1,
    outlier_detection_ejections_detected_consecutive_5xx: 2, outlier_detection_ejections_enforced_consecutive_5xx: 1,
    outlier_detection_ejections_detected_consecutive_gateway_failure: 1, outlier_detection_ejections_enforced_consecutive_gateway_failure: 0,
  });
  clock.advance(400);
  d.onIntervalTimer();
  assert.not.ok(hosts[0]!.ejected);
  assert.is(stats.outlier_detection_ejections_active, 0, 'the gauge follows the unejection');
});

test.run();
