/**
 * `overrides` reach the manifest through the generated L1 `toJson`, which drops keys the spec does
 * not have. TypeScript catches them only in object literals; through a variable (or plain JS, or
 * `as any`) the constructs refuse them, at every level, naming the nearest known key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DestinationRuleSpec, ServiceEntrySpec, VirtualServiceSpec } from '../../imports/networking.istio.io.js';
import { ExternalService } from '../../src/constructs/external-service.js';
import { MeshService, type MeshServiceProps } from '../../src/constructs/mesh-service.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { only, synth, throwsProp } from '../_synth.js';

const reviews: MeshServiceProps = {
  name: 'reviews',
  ports: [{ port: 9080, protocol: 'http' }],
  versions: [{ name: 'v1', image: 'reviews:1' }],
};
/** What a variable typed loosely (or plain JS) lets through. */
const loose = <T>(value: object): T => value as T;
const meshService = (overrides: Partial<DestinationRuleSpec>) => () => synth((c) => new MeshService(c, 'reviews', { ...reviews, overrides }));

test('GIVEN MeshService overrides with subset (for subsets) WHEN constructed THEN MP_INVALID_PROP names overrides.subset and suggests "subsets"', () => {
  const o = loose<Partial<DestinationRuleSpec>>({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subset: [{ name: 'v1', labels: { version: 'v1' } }] });
  const err = throwsProp(meshService(o), { code: 'MP_INVALID_PROP', field: 'overrides.subset', path: 'test/reviews' });
  assert.match(err.message, 'expected a field of the DestinationRule spec; did you mean "subsets"? (it has exportTo, host, subsets, trafficPolicy, workloadSelector)');
});

test('GIVEN a misspelled key deep in MeshService overrides WHEN constructed THEN MP_INVALID_PROP names its whole path and the nearest key there', () => {
  const o = loose<Partial<DestinationRuleSpec>>({ subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simpel: 'ROUND_ROBIN' } } }] });
  const err = throwsProp(meshService(o), { code: 'MP_INVALID_PROP', field: 'overrides.subsets[0].trafficPolicy.loadBalancer.simpel', value: 'ROUND_ROBIN' });
  assert.match(err.message, 'a field of the DestinationRule spec.subsets[0].trafficPolicy.loadBalancer; did you mean "simple"?');
});

test('GIVEN overrides with free-form labels and a field the L1 type renames (consecutive5XxErrors) WHEN synthesized THEN all are kept', () => {
  const o: Partial<DestinationRuleSpec> = {
    workloadSelector: { matchLabels: { 'any-label': 'x' } },
    trafficPolicy: { outlierDetection: { consecutive5XxErrors: 3 } },
  };
  const dr = only(meshService(o)(), 'DestinationRule') as unknown as { spec: Record<string, unknown> };
  assert.equal(dr.spec['workloadSelector'], { matchLabels: { 'any-label': 'x' } });
  assert.equal(dr.spec['trafficPolicy'], { outlierDetection: { consecutive5xxErrors: 3 } });
});

test('GIVEN the manifest spelling consecutive5xxErrors in overrides WHEN constructed THEN it is refused naming the L1 spelling', () => {
  const o = loose<Partial<DestinationRuleSpec>>({ trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } } });
  const err = throwsProp(meshService(o), { code: 'MP_INVALID_PROP', field: 'overrides.trafficPolicy.outlierDetection.consecutive5xxErrors' });
  assert.match(err.message, 'did you mean "consecutive5XxErrors"?');
});

test('GIVEN RouteTable overrides with htpp WHEN constructed THEN MP_INVALID_PROP suggests "http"', () => {
  const o = loose<Partial<VirtualServiceSpec>>({ htpp: [{ route: [{ destination: { host: 'reviews' } }] }] });
  const err = throwsProp(() => synth((c) => new RouteTable(c, 'reviews', { hosts: ['reviews'], defaultRoute: { route: [{ destination: { host: 'reviews' } }] }, overrides: o } as never)),
    { code: 'MP_INVALID_PROP', field: 'overrides.htpp', path: 'test/reviews' });
  assert.match(err.message, 'did you mean "http"?');
});

test('GIVEN ExternalService overrides with resolutoin and a DestinationRule subset key typo WHEN constructed THEN each is refused under its own prop', () => {
  const api = { name: 'api', hosts: ['api.example.com'] };
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { ...api, serviceEntryOverrides: loose<Partial<ServiceEntrySpec>>({ resolutoin: 'DNS' }) })),
    { code: 'MP_INVALID_PROP', field: 'serviceEntryOverrides.resolutoin', value: 'DNS' });
  const err = throwsProp(() => synth((c) => new ExternalService(c, 'api', { ...api, destinationRuleOverrides: loose<Partial<DestinationRuleSpec>>({ trafficPolicy: { conectionPool: {} } }) })),
    { code: 'MP_INVALID_PROP', field: 'destinationRuleOverrides.trafficPolicy.conectionPool' });
  assert.match(err.message, 'did you mean "connectionPool"?');
});

test.run();
