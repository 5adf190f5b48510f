/**
 * IST0101 and IST0112 find a destination's service the way `istioctl analyze` does
 * (util.GetDestinationHost): scope `*` first, then the VirtualService's exportTo namespaces; wildcard
 * entries only when scoped `*` or to the VirtualService's own namespace; hosts as written; the ports of
 * the one entry found.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import destinationHostExists from '../../../src/checks/rules/references/destination-host-exists.js';
import destinationPortRequired from '../../../src/checks/rules/references/destination-port-required.js';
import { graphOf } from '../../mesh/_graph.js';

const se = (name: string, namespace: string, hosts: string[], ports: number[], exportTo?: string[]) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace },
  spec: { hosts, ...(exportTo ? { exportTo } : {}), location: 'MESH_EXTERNAL', resolution: 'NONE', ports: ports.map((number) => ({ name: `http-${number}`, number, protocol: 'HTTP' })) },
});
const vs = (namespace: string, destination: Record<string, unknown>, exportTo?: string[]) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'route', namespace },
  spec: { hosts: ['route.example.com'], ...(exportTo ? { exportTo } : {}), http: [{ route: [{ destination }] }] },
});
const codes = (objects: Record<string, unknown>[]) =>
  runRules(graphOf(objects), [destinationHostExists, destinationPortRequired]).map((f) => `${f.istioCode} ${f.resource?.namespace}/${f.resource?.name}`);

test('GIVEN a wildcard ServiceEntry exported only to the namespace the VirtualService is exported to WHEN checked THEN IST0101', () => {
  assert.equal(codes([se('psp', 'integrations', ['*.psp.example.net'], [80], ['audit']), vs('shop', { host: 'api.psp.example.net' }, ['audit'])]), ['IST0101 shop/route']);
});

test('GIVEN a wildcard ServiceEntry exported to the VirtualService namespace (or "*") WHEN the VirtualService is exported elsewhere THEN found', () => {
  assert.equal(codes([se('psp', 'integrations', ['*.psp.example.net'], [80], ['shop']), vs('shop', { host: 'api.psp.example.net' }, ['audit'])]), []);
  assert.equal(codes([se('psp', 'shop', ['*.psp.example.net'], [80], ['.']), vs('shop', { host: 'api.psp.example.net' }, ['*'])]), []);
});

test('GIVEN a short host under a wildcard "*.<ns>.svc.cluster.local" entry WHEN checked THEN IST0101 (matched as written); the FQDN is found', () => {
  const entry = se('catchall', 'shop', ['*.shop.svc.cluster.local'], [80]);
  assert.equal(codes([entry, vs('shop', { host: 'legacy' })]), ['IST0101 shop/route']);
  assert.equal(codes([entry, vs('shop', { host: 'legacy.shop.svc.cluster.local' })]), []);
});

test('GIVEN a destination host in another case than the Service WHEN checked THEN IST0101 telling to write it in lower case', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ledger', namespace: 'payments' }, spec: { ports: [{ name: 'http', port: 8080 }] } };
  const found = runRules(graphOf([svc, vs('shop', { host: 'Ledger.payments.svc.cluster.local' })]), [destinationHostExists]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /Fix: write "ledger.payments.svc.cluster.local"/);
});

test('GIVEN a ServiceEntry host in upper case and a lower-case destination WHEN checked THEN IST0101 naming the host as declared', () => {
  const found = runRules(graphOf([se('psp', 'integrations', ['PSP.example.net'], [80]), vs('shop', { host: 'psp.example.net' })]), [destinationHostExists]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /declares "PSP.example.net"/);
});

test('GIVEN an entry exported everywhere and one exported to the VirtualService namespace WHEN ports are checked THEN only the first counts', () => {
  const both = [se('public', 'platform', ['ledger.example.net'], [443]), se('local', 'shop', ['ledger.example.net'], [80, 8080], ['.'])];
  assert.equal(codes([...both, vs('shop', { host: 'ledger.example.net' })]), []);
  assert.equal(codes([...both, vs('shop', { host: 'ledger.example.net', port: { number: 80 } })]), ['IST0101 shop/route']);
});

test('GIVEN a Service with port 53 twice (TCP and UDP) WHEN a destination has no port THEN IST0112', () => {
  const dns = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'resolver', namespace: 'infra' }, spec: { ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] } };
  assert.equal(codes([dns, vs('shop', { host: 'resolver.infra.svc.cluster.local' })]), ['IST0112 shop/route']);
});

test.run();
