/**
 * DestinationRules istiod's enhanced merge folds into another rule and keeps nowhere on their own
 * (pilot/pkg/model/destination_rule.go mergeDestinationRule: `appendSeparately` ends false).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exportMergeLosses, selectorMergeLosses } from '../../src/mesh/destination-rule-merge-losses.js';
import { graphOf } from './_graph.js';

const svc = (name: string, ns: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 80, name: 'http' }] } });
const dr = (name: string, ns: string, spec: Record<string, unknown>, t: string) =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns, creationTimestamp: `2024-0${t}-01T00:00:00Z` }, spec });
const id = (o: { namespace: string; name: string }) => `${o.namespace}/${o.name}`;
const HOST = 'reviews.prod.svc.cluster.local';
const canary = dr('canary', 'web', { host: HOST, workloadSelector: { matchLabels: { track: 'canary' } } }, '2');

test('GIVEN a namespace-wide rule exported to "." and a workloadSelector rule WHEN losses are computed THEN the namespace-wide rule is lost into the selector rule, and the lookup agrees (no rule for unselected clients)', () => {
  const g = graphOf([svc('reviews', 'prod'), dr('wide', 'web', { host: HOST, exportTo: ['.'] }, '1'), canary]);
  assert.equal(selectorMergeLosses(g).map((l) => [id(l.rule), l.into.map((i) => id(i.object)), l.instead]), [['web/wide', ['web/canary'], null]]);
  assert.is(g.destinationRuleFor(HOST, 'web', { track: 'stable' }), null);
});

test('GIVEN the namespace-wide rule exported to its namespace by name, or to "." and another namespace WHEN losses are computed THEN none: istiod keeps it apart', () => {
  for (const exportTo of [['web'], ['.', 'api'], undefined]) {
    const g = graphOf([svc('reviews', 'prod'), dr('wide', 'web', { host: HOST, ...(exportTo ? { exportTo } : {}) }, '1'), canary]);
    assert.equal(selectorMergeLosses(g).map((l) => id(l.rule)), [], JSON.stringify(exportTo));
  }
});

test('GIVEN a later rule exported to web and api merged into an earlier one exported to web WHEN losses are computed THEN api is lost and the earlier traffic policy wins; the lookup agrees', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('narrow', 'prod', { host: 'reviews', exportTo: ['web'], trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }, '1'),
    dr('wide', 'prod', { host: 'reviews', exportTo: ['web', 'api'], trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }, '2'),
  ]);
  assert.equal(exportMergeLosses(g).map((l) => [id(l.rule), l.into.map(id), l.lost, l.lostEverywhere, l.kept, l.policyFrom && id(l.policyFrom)]), [['prod/wide', ['prod/narrow'], ['api'], false, ['web'], 'prod/narrow']]);
  assert.is(g.destinationRuleFor(HOST, 'api'), null);
});

test('GIVEN the same rules where api has a rule of its own for the host, or the rules live in a namespace clients never consult WHEN losses are computed THEN none', () => {
  const rules = (ns: string) => [dr('narrow', ns, { host: HOST, exportTo: ['web'] }, '1'), dr('wide', ns, { host: HOST, exportTo: ['web', 'api'] }, '2')];
  assert.equal(exportMergeLosses(graphOf([svc('reviews', 'prod'), ...rules('prod'), dr('own', 'api', { host: HOST }, '3')])).length, 0);
  assert.equal(exportMergeLosses(graphOf([svc('reviews', 'prod'), ...rules('tools')])).length, 0);
});

test('GIVEN a later rule exported everywhere and to web, merged into one exported to web WHEN losses are computed THEN every other namespace loses it', () => {
  const g = graphOf([svc('reviews', 'prod'), dr('narrow', 'prod', { host: 'reviews', exportTo: ['web'] }, '1'), dr('wide', 'prod', { host: 'reviews', exportTo: ['web', '*'] }, '2')]);
  assert.equal(exportMergeLosses(g).map((l) => [id(l.rule), l.lostEverywhere, l.policyFrom]), [['prod/wide', true, null]]);
  assert.is(g.destinationRuleFor(HOST, 'shop'), null);
});

test('GIVEN a later rule exported everywhere ("*" alone) after one exported to web WHEN losses are computed THEN none: {"*"} does not include {"web"} as sets, so istiod keeps it apart', () => {
  const g = graphOf([svc('reviews', 'prod'), dr('narrow', 'prod', { host: 'reviews', exportTo: ['web'] }, '1'), dr('wide', 'prod', { host: 'reviews', exportTo: ['*'] }, '2')]);
  assert.equal(exportMergeLosses(g).length, 0);
});

test.run();
