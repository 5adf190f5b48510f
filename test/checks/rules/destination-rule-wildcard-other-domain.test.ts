/**
 * A cluster-internal wildcard DestinationRule host (`*.shop.svc.<domain>`, `*.svc.<domain>`) under another domain
 * than the cluster domain covers none of the Services it was written for; the finding says which domain was
 * assumed. Other wildcards stay unjudged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import destinationRuleHostExists from '../../../src/checks/rules/references/destination-rule-host-exists.js';
import { graphOf } from '../../mesh/_graph.js';

const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders', namespace: 'shop' }, spec: { selector: { app: 'orders' }, ports: [{ name: 'http', port: 8080 }] } };
const dr = (host: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'pool', namespace: 'shop' }, spec: { host, trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } } });
const se = (host: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'legacy', namespace: 'shop' }, spec: { hosts: [host], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } });
const messages = (bodies: Record<string, unknown>[], clusterDomain?: string) =>
  runRules(graphOf(bodies, clusterDomain ? { clusterDomain } : undefined), [destinationRuleHostExists]).map((f) => f.message);

test('GIVEN *.shop.svc.corp.internal and the domain not told WHEN checked THEN it covers nothing and cluster.local is named as assumed', () => {
  assert.equal(messages([svc, dr('*.shop.svc.corp.internal')]), [
    'DestinationRule host "*.shop.svc.corp.internal" applies to nothing: it covers no Service of the input: with cluster domain cluster.local ' +
      "(assumed; meshproof's default) Services shop/orders are named *.shop.svc.cluster.local. If this cluster's domain is corp.internal, tell " +
      'meshproof (clusterDomain in the config, or --cluster-domain); otherwise write "*.shop.svc.cluster.local"',
  ]);
});

test('GIVEN *.svc.cluster.local with the domain told as corp.internal WHEN checked THEN the told domain is named', () => {
  const [m] = messages([svc, dr('*.svc.cluster.local')], 'corp.internal');
  assert.ok(m?.includes('with cluster domain corp.internal (as set by clusterDomain or --cluster-domain) Services shop/orders are named *.svc.corp.internal'), m);
});

test('GIVEN the wildcard under the cluster domain, or told its domain WHEN checked THEN nothing', () => {
  assert.equal(messages([svc, dr('*.shop.svc.cluster.local')]), []);
  assert.equal(messages([svc, dr('*.shop.svc.corp.internal')], 'corp.internal'), []);
});

test('GIVEN a ServiceEntry host the wildcard covers, no Service in that namespace, or an external wildcard WHEN checked THEN nothing', () => {
  assert.equal(messages([svc, se('ledger.shop.svc.corp.internal'), dr('*.shop.svc.corp.internal')]), []);
  assert.equal(messages([svc, dr('*.billing.svc.corp.internal')]), []);
  assert.equal(messages([svc, dr('*.corp.internal')]), []);
});

test.run();
