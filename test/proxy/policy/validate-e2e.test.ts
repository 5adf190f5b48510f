/** Config the policy units cannot apply is NACKed over ADS with the field path, as Envoy rejects it. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster_LbPolicy } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { OutlierDetectionSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import { assignment, edsCluster, httpListener, routeConfig, startTestProxy, startXds, until } from '../_harness.js';
import { ADDR, ms, vhost } from './_e2e.js';
import { validateClusterPolicies, validateRoutePolicies } from '../../../src/proxy/policy/wiring/validate.js';
import { RouteConfigurationSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';

test('GIVEN retry_on "5xx,gateway-eror" THEN the route configuration is refused naming the field path', () => {
  const rc = create(RouteConfigurationSchema, { name: 'r1', virtualHosts: [vhost('svc', { retryPolicy: { retryOn: '5xx,gateway-eror' } })] });
  assert.throws(() => validateRoutePolicies(rc), /virtual_hosts\[0\]\.routes\[0\]\.route\.retry_policy\.retry_on: unknown retry condition "gateway-eror"/);
  const ok = create(RouteConfigurationSchema, { name: 'r1', virtualHosts: [vhost('svc', { retryPolicy: { retryOn: '5xx' } })] });
  validateRoutePolicies(ok);
});

test('GIVEN max_ejection_time below base or a MAGLEV table size that is not prime THEN the cluster is refused', () => {
  const c = edsCluster('svc');
  c.outlierDetection = create(OutlierDetectionSchema, { baseEjectionTime: ms(30_000), maxEjectionTime: ms(1000) });
  assert.throws(() => validateClusterPolicies(c), /outlier_detection\.max_ejection_time/);
  const m = edsCluster('m');
  m.lbPolicy = Cluster_LbPolicy.MAGLEV;
  m.lbConfig = { case: 'maglevLbConfig', value: { tableSize: 100n } as never };
  assert.throws(() => validateClusterPolicies(m), /maglev_lb_config\.table_size: 100 is not a prime/);
});

test('GIVEN a bad retry_on over ADS THEN the proxy NACKs the RouteConfiguration with the path in error_detail', async () => {
  const xds = await startXds({
    clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: 9 }])], listeners: [httpListener('l1', ADDR, 'r1')],
    routes: [routeConfig('r1', [vhost('svc', { retryPolicy: { retryOn: 'sometimes' } })])],
  });
  const proxy = await startTestProxy(xds.port, { extensions: createExtensions() });
  try {
    await until(() => proxy.ads.nacks.length > 0, 5000, 'a NACK');
    assert.match(JSON.stringify(proxy.ads.nacks), /retry_policy\.retry_on: unknown retry condition \\"sometimes\\"/);
  } finally {
    await proxy.close();
    await xds.close();
  }
});

test.run();
