/**
 * What our translator emits, the proxy accepts: every proxy of every app in dist/ is translated and
 * applied to the proxy's config store. Clusters, assignments and route configurations are accepted
 * whole; a listener may be refused only for a part another unit implements (SDS secrets, tcp_proxy)
 * while that unit is not registered, and then with the field path.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigStore } from '../../src/proxy/config/config-store.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { translateProxy } from '../../src/xds/translate/index.js';
import { appNames, appViews } from '../xds/translate/_apps.js';

const UNIT_PENDING = [
  /^Listener "[^"]+": filter_chains\[\d+\]\.transport_socket\.typed_config\.common_tls_context: SDS secrets need the security unit/,
  /^Listener "[^"]+": filter_chains\[\d+\]\.filters\[\d+\]\.name: network filter "envoy\.filters\.network\.(tcp_proxy|rbac)" is not supported by this proxy/,
];

test('GIVEN every proxy translated from the apps in dist/ WHEN its resources are applied THEN only listeners needing an unregistered unit are refused', async () => {
  let proxies = 0;
  const unexpected: string[] = [];
  for (const app of appNames()) {
    for (const view of await appViews(app)) {
      proxies++;
      const snap = createSnapshot(translateProxy(view, [], {}));
      const store = new ConfigStore(createExtensions(), { hosts: () => undefined, cluster: () => undefined, choose: () => undefined });
      for (const kind of ['cluster', 'endpoint', 'listener', 'route'] as const) {
        const { error } = store.apply(kind, snap.types[kind].version, [...snap.types[kind].resources.values()]);
        for (const line of error?.split('\n') ?? []) {
          if (kind !== 'listener' || !UNIT_PENDING.some((p) => p.test(line))) unexpected.push(`${app} ${view.proxy.namespace}/${view.proxy.name} ${kind}: ${line}`);
        }
      }
      assert.is(store.routes.size, snap.types.route.resources.size, `${app}: every route configuration accepted`);
      assert.is(store.clusters.size, snap.types.cluster.resources.size, `${app}: every cluster accepted`);
    }
  }
  assert.ok(proxies > 0, 'dist/ has proxies');
  assert.equal(unexpected, []);
});

test.run();
