/** Outlier detection over real sockets: a failing endpoint is ejected after consecutive 5xx and traffic moves; it returns after the ejection time. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutlierDetectionSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { assignment, edsCluster, get, startEcho, until } from '../_harness.js';
import { ms, vhost, withProxy } from './_e2e.js';

function failing() {
  return startEcho('bad', { handler: (_req, res) => { res.writeHead(500); res.end('bad'); return true; } });
}

function detecting(od: Record<string, unknown>) {
  const c = edsCluster('svc');
  c.outlierDetection = create(OutlierDetectionSchema, od);
  return c;
}

test('GIVEN consecutive_5xx 2 and max_ejection_percent 50 WHEN one of two endpoints answers 500 THEN it is ejected and all later traffic goes to the good one', async () => {
  const bad = await failing();
  const good = await startEcho('good');
  try {
    await withProxy({
      clusters: [detecting({ consecutive5xx: 2, interval: ms(10_000), baseEjectionTime: ms(30_000), maxEjectionPercent: 50 })],
      endpoints: [assignment('svc', [{ port: bad.port }, { port: good.port }])], vhosts: [vhost('svc')],
    }, async (env) => {
      const first: number[] = [];
      for (let i = 0; i < 4; i++) first.push((await env.request()).status);
      assert.equal(first.filter((s) => s === 500).length, 2, 'round robin sent two requests to the bad endpoint before it was ejected');
      const after: number[] = [];
      for (let i = 0; i < 10; i++) after.push((await env.request()).status);
      assert.equal(after, Array(10).fill(200));
      // Envoy's outlier statistics, as /stats/prometheus shows them.
      const st = env.proxy.stats.cluster('svc');
      assert.equal([st.outlier_detection_ejections_active, st.outlier_detection_ejections_enforced_total, st.outlier_detection_ejections_detected_consecutive_5xx, st.outlier_detection_ejections_enforced_consecutive_5xx, st.outlier_detection_ejections_overflow], [1, 1, 1, 1, 0]);
      assert.match(env.proxy.stats.prometheus(), /envoy_cluster_outlier_detection_ejections_active\{envoy_cluster_name="svc"\} 1/);
      // Which host is out, as Envoy's admin /clusters says it (health flag /failed_outlier_check).
      const hosts = env.proxy.clusterHosts().find((c) => c.cluster === 'svc')!.hosts;
      assert.equal(hosts.map((h) => [h.port, h.ejected]), [[bad.port, true], [good.port, false]]);
      const text = (await get(env.proxy.adminPort!, '/clusters')).body;
      assert.match(text, `svc::127.0.0.1:${bad.port}::health_flags::/failed_outlier_check\n`);
      assert.match(text, `svc::127.0.0.1:${good.port}::health_flags::healthy\n`);
      const json = JSON.parse((await get(env.proxy.adminPort!, '/clusters?format=json')).body) as { cluster_statuses: { name: string; host_statuses: { health_status: Record<string, unknown> }[] }[] };
      assert.equal(json.cluster_statuses.find((c) => c.name === 'svc')!.host_statuses.map((h) => h.health_status), [{ failed_outlier_check: true, eds_health_status: 'HEALTHY' }, { eds_health_status: 'HEALTHY' }]);
    });
  } finally { await bad.close(); await good.close(); }
});

test('GIVEN an ejected endpoint WHEN a CDS update carries its cluster unchanged THEN it stays ejected (the cluster is kept, as Envoy)', async () => {
  const bad = await failing();
  const good = await startEcho('good');
  const cfg = {
    clusters: [detecting({ consecutive5xx: 1, interval: ms(10_000), baseEjectionTime: ms(30_000), maxEjectionPercent: 50 })],
    endpoints: [assignment('svc', [{ port: bad.port }, { port: good.port }])], vhosts: [vhost('svc')],
  };
  try {
    await withProxy(cfg, async (env) => {
      for (let i = 0; i < 2; i++) await env.request();
      env.publish({ ...cfg, clusters: [detecting({ consecutive5xx: 1, interval: ms(10_000), baseEjectionTime: ms(30_000), maxEjectionPercent: 50 }), edsCluster('other')], endpoints: [...cfg.endpoints, assignment('other', [{ port: good.port }])] });
      await until(() => env.proxy.store.clusters.has('other'), 3000, 'the CDS update');
      const s: number[] = [];
      for (let i = 0; i < 6; i++) s.push((await env.request()).status);
      assert.equal(s, Array(6).fill(200));
    });
  } finally { await bad.close(); await good.close(); }
});

test('GIVEN base_ejection_time 300 ms and interval 100 ms THEN the ejected endpoint gets traffic again after about 300-400 ms', async () => {
  const bad = await failing();
  const good = await startEcho('good');
  try {
    await withProxy({
      clusters: [detecting({ consecutive5xx: 1, interval: ms(100), baseEjectionTime: ms(300), maxEjectionPercent: 50 })],
      endpoints: [assignment('svc', [{ port: bad.port }, { port: good.port }])], vhosts: [vhost('svc')],
    }, async (env) => {
      let saw500 = false;
      for (let i = 0; i < 3 && !saw500; i++) saw500 = (await env.request()).status === 500;
      assert.ok(saw500);
      const ejectedAt = performance.now();
      for (let i = 0; i < 4; i++) assert.is((await env.request()).status, 200, 'ejected');
      await new Promise((r) => setTimeout(r, Math.max(0, 450 - (performance.now() - ejectedAt))));
      const back: number[] = [];
      for (let i = 0; i < 4; i++) back.push((await env.request()).status);
      assert.ok(back.includes(500), `after the ejection time: ${back}`);
    });
  } finally { await bad.close(); await good.close(); }
});

test('GIVEN a wrong config (max_ejection_percent 10 with two endpoints) THEN nothing is ejected and the bad endpoint keeps getting traffic', async () => {
  const bad = await failing();
  const good = await startEcho('good');
  try {
    await withProxy({
      clusters: [detecting({ consecutive5xx: 2, interval: ms(10_000), maxEjectionPercent: 10 })],
      endpoints: [assignment('svc', [{ port: bad.port }, { port: good.port }])], vhosts: [vhost('svc')],
    }, async (env) => {
      const s: number[] = [];
      for (let i = 0; i < 10; i++) s.push((await env.request()).status);
      assert.is(s.filter((x) => x === 500).length, 5);
    });
  } finally { await bad.close(); await good.close(); }
});

test.run();
