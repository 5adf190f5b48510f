/**
 * istiod's choice among services that share a host (pilot/pkg/model/sidecar.go `selectServices`,
 * `appendSidecarServices`, `canMergeServices`; push_context.go `SortServicesByCreationTime`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serviceForHost } from '../../src/mesh/service-precedence.js';
import { exportedTo } from '../../src/mesh/visibility.js';
import type { ServiceInfo } from '../../src/mesh/services.js';
import { graphOf } from './_graph.js';

const HOST = 'api.partner.example';
type Obj = Record<string, unknown>;
const se = (name: string, namespace: string, created: string, spec: Obj = {}, meta: Obj = {}): Obj => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace, creationTimestamp: created, ...meta },
  spec: { hosts: [HOST], resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], ...spec },
});
const API = 'api.shop.svc.cluster.local';
const k8s = (created: string): Obj => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop', creationTimestamp: created }, spec: { ports: [{ name: 'https', port: 443 }] },
});
/** What `proxyNamespace` gets among the services of `host` it sees (exportTo). */
const choose = (objects: Obj[], proxyNamespace: string, host = HOST) => {
  const g = graphOf(objects);
  const r = serviceForHost(g.services.all.filter((s) => s.host === host && exportedTo(s.exportTo, s.namespace, proxyNamespace)), proxyNamespace);
  const name = (s: ServiceInfo) => `${s.kind} ${s.namespace}/${s.object.name}`;
  return r && { service: name(r.service), merged: r.mergedPorts.map(name) };
};

test('GIVEN ServiceEntries of one host in several namespaces WHEN a proxy elsewhere asks THEN the oldest wins, whatever the input order', () => {
  const objects = [se('a', 'ext-a', '2026-01-01T00:00:00Z'), se('b', 'ext-b', '2025-01-01T00:00:00Z'), se('c', 'ext-c', '2025-06-01T00:00:00Z')];
  assert.equal(choose(objects, 'front')?.service, 'ServiceEntry ext-b/b');
  assert.equal(choose([...objects].reverse(), 'front')?.service, 'ServiceEntry ext-b/b');
});

test('GIVEN ServiceEntries of one host WHEN a proxy in one of their namespaces asks THEN its own namespace wins over an older one', () => {
  const objects = [se('a', 'ext-a', '2026-01-01T00:00:00Z'), se('b', 'ext-b', '2025-01-01T00:00:00Z')];
  assert.equal(choose(objects, 'ext-a')?.service, 'ServiceEntry ext-a/a');
  assert.equal(choose(objects, 'ext-b')?.service, 'ServiceEntry ext-b/b');
});

test('GIVEN a public ServiceEntry and an older one exported to the proxy\'s namespace by name WHEN asked THEN the explicitly exported one comes first', () => {
  const objects = [se('pub', 'ext-a', '2024-01-01T00:00:00Z'), se('named', 'ext-b', '2026-01-01T00:00:00Z', { exportTo: ['front', 'ext-b'] })];
  assert.equal(choose(objects, 'front')?.service, 'ServiceEntry ext-b/named');
  assert.equal(choose(objects, 'ext-b')?.service, 'ServiceEntry ext-b/named', 'its own namespace');
  assert.equal(choose(objects, 'other')?.service, 'ServiceEntry ext-a/pub', 'the named one is not visible there');
});

test('GIVEN a Kubernetes Service and an older ServiceEntry squatting its host WHEN asked THEN the Service wins, unless the ServiceEntry is in the proxy\'s namespace', () => {
  const squat = (namespace: string, ports?: Obj[]) => se('squat', namespace, '2020-01-01T00:00:00Z', { hosts: [API], ...(ports ? { ports } : {}) });
  const objects = [squat('ext'), k8s('2026-01-01T00:00:00Z')];
  assert.equal(choose(objects, 'front', API)?.service, 'Service shop/api');
  assert.equal(choose(objects, 'ext', API)?.service, 'ServiceEntry ext/squat');
  assert.equal(choose(objects, 'shop', API)?.service, 'Service shop/api');
  // In one namespace the Kubernetes Service replaces the ServiceEntry and merges nothing from it.
  assert.equal(choose([squat('shop', [{ number: 8443, name: 'tls2', protocol: 'TLS' }]), k8s('2026-01-01T00:00:00Z')], 'front', API), { service: 'Service shop/api', merged: [] });
});

test('GIVEN two ServiceEntries of one host in one namespace WHEN their ports differ THEN the older one is used with the other\'s extra ports merged, if canMergeServices', () => {
  const first = se('first', 'ext', '2025-01-01T00:00:00Z', { ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] });
  const more = (spec: Obj = {}, meta: Obj = {}) => se('more', 'ext', '2026-01-01T00:00:00Z', { ports: [{ number: 443, name: 'tls', protocol: 'TLS' }, { number: 8443, name: 'tls-alt', protocol: 'TLS' }], ...spec }, meta);
  assert.equal(choose([more(), first], 'front'), { service: 'ServiceEntry ext/first', merged: ['ServiceEntry ext/more'] });
  assert.equal(choose([first, more({ resolution: 'STATIC', endpoints: [{ address: '10.0.0.1' }] })], 'front'), { service: 'ServiceEntry ext/first', merged: [] }, 'another resolution');
  assert.equal(choose([first, more({ exportTo: ['.'] })], 'ext'), { service: 'ServiceEntry ext/more', merged: [] }, 'exported by "." comes first, and another exportTo does not merge');
  assert.equal(choose([first, more({}, { labels: { team: 'b' } })], 'front'), { service: 'ServiceEntry ext/first', merged: [] }, 'other labels');
  assert.equal(choose([first, more({ workloadSelector: { labels: { app: 'x' } } })], 'front'), { service: 'ServiceEntry ext/first', merged: [] }, 'another selector');
  assert.equal(choose([first, se('same', 'ext', '2026-01-01T00:00:00Z')], 'front'), { service: 'ServiceEntry ext/first', merged: [] }, 'same ports: nothing to merge');
});

test('GIVEN one or no candidate WHEN asked THEN it is used as is, or there is none', () => {
  assert.equal(choose([se('only', 'ext', '')], 'front'), { service: 'ServiceEntry ext/only', merged: [] });
  assert.is(serviceForHost([], 'front'), undefined);
});

test.run();
