/**
 * A mistyped destination host gets one error, with the nearest visible host ("did you mean"), and
 * no second error advising a DestinationRule for the typo.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import destinationHostExists from '../../../src/checks/rules/references/destination-host-exists.js';
import subsetExists from '../../../src/checks/rules/references/subset-exists.js';
import { graphOf } from '../../mesh/_graph.js';

const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } };
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } };
const dr = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews', namespace: 'shop' }, spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } };
const vs = (host: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host, subset: 'v1' } }] }] } });
const findings = (host: string) => runRules(graphOf([ns, svc, dr, vs(host)]), [destinationHostExists, subsetExists]).map((f) => `${f.ruleId}: ${f.message}`);

test('GIVEN a short host with a typo and a subset WHEN checked THEN one error with "did you mean", no subset error', () => {
  assert.equal(findings('reveiws'), ['references/destination-host-exists: Referenced destination host not found: "reveiws" (resolved to reveiws.shop.svc.cluster.local); did you mean "reviews"?']);
});

test('GIVEN the FQDN with a typo WHEN checked THEN the suggestion is the FQDN', () => {
  assert.equal(findings('reveiws.shop.svc.cluster.local'), ['references/destination-host-exists: Referenced destination host not found: "reveiws.shop.svc.cluster.local"; did you mean "reviews.shop.svc.cluster.local"?']);
});

test('GIVEN a host nothing resembles WHEN checked THEN no guess', () => {
  assert.equal(findings('payments'), ['references/destination-host-exists: Referenced destination host not found: "payments" (resolved to payments.shop.svc.cluster.local)']);
});

test.run();
