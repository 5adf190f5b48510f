/**
 * `routing/mesh-sni-host-letter-case`: istiod drops a sidecar `tls` match only when its sniHosts repeat an earlier
 * one's as written (tls.go matchHasBeenHandled), so `API.example.com` and `api.example.com` both become filter chains
 * of the outbound listener; Envoy lower-cases server_names (filter_chain_manager_impl.cc) and rejects the listener.
 * The translation and our proxy's listener check (Envoy's rule) agree with the finding.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/mesh-sni-host-letter-case.js';
import { findingsOf, listenerRefusals } from './_harness.js';

const dir = new URL('../../fixtures/rules/routing/mesh-sni-host-letter-case/', import.meta.url);
const fail = fs.readFileSync(new URL('fail.yaml', dir), 'utf8');
const pass = fs.readFileSync(new URL('pass.yaml', dir), 'utf8');

const listenerErrors = (yaml: string) => listenerRefusals(yaml, 'sidecar');

test('GIVEN two mesh VirtualServices matching SNI API.example.com and api.example.com on port 443 WHEN translated for the sidecar THEN Envoy\'s listener check refuses 0.0.0.0_443, and the rule reports the later match', async () => {
  const errors = await listenerErrors(fail);
  assert.ok(errors.some((e) => e.includes('"0.0.0.0_443"') && e.includes('overlapping matching rules')), errors.join('\n'));
  const found = await findingsOf(fail, [rule]);
  assert.equal(found.map((f) => `${f.resource!.kind}/${f.resource!.name}`), ['VirtualService/partners-lower']);
  assert.match(found[0]!.message, /Envoy rejects listener 0\.0\.0\.0_443 .*Fix: write "api\.example\.com" in lower case/);
});

test('GIVEN distinct SNI hosts WHEN translated THEN the listener loads and the rule is silent', async () => {
  assert.equal(await listenerErrors(pass), []);
  assert.equal(await findingsOf(pass, [rule]), []);
});

test('GIVEN one match listing the host in two letter cases WHEN checked THEN it is reported (one chain naming a server name twice for Envoy)', async () => {
  const one = fail.replace('sniHosts: [API.example.com]', 'sniHosts: [API.example.com, api.example.com]').replace('sniHosts: [api.example.com]', 'sniHosts: [api-eu.example.com]');
  assert.ok((await listenerErrors(one)).some((e) => e.includes('"0.0.0.0_443"')));
  const found = await findingsOf(one, [rule]);
  assert.equal(found.map((f) => f.resource!.name), ['partners-upper']);
  assert.match(found[0]!.message, /"api\.example\.com" of VirtualService shop\/partners-upper tls\[0\]\.match\[0\] differs only in letter case from "API\.example\.com" of VirtualService shop\/partners-upper tls\[0\]\.match\[0\]/);
});

test('GIVEN the two matches on different destination subnets WHEN checked THEN nothing is reported (the chains differ in prefix_ranges)', async () => {
  const apart = fail.replace('sniHosts: [API.example.com]', 'sniHosts: [API.example.com]\n      destinationSubnets: [10.1.0.0/16]')
    .replace('sniHosts: [api.example.com]', 'sniHosts: [api.example.com]\n      destinationSubnets: [10.2.0.0/16]');
  assert.equal(await listenerErrors(apart), []);
  assert.equal(await findingsOf(apart, [rule]), []);
});

test('GIVEN the later match on another port WHEN checked THEN nothing is reported (it applies to no chain of 0.0.0.0_443)', async () => {
  const other = fail.replace(/port: 443\n      sniHosts: \[api\.example\.com\]/, 'port: 8443\n      sniHosts: [api.example.com]');
  assert.equal(await findingsOf(other, [rule]), []);
});

test('GIVEN no sidecar workload in the input WHEN checked THEN a sidecar of the VirtualServices\' namespace is judged', async () => {
  const bare = fail.replace(/---\napiVersion: apps\/v1\nkind: Deployment[\s\S]*?image: web\n/, '');
  const found = await findingsOf(bare, [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /\(sidecars of namespace shop\)/);
});

test.run();
