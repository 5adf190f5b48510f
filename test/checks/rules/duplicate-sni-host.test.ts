/**
 * `gateway/duplicate-sni-host`: istiod skips a gateway server only when a host repeats an earlier server's as written
 * (model.CheckDuplicates after sanitizeServerHostNamespace), and de-duplicates PASSTHROUGH matches in a map of their
 * own, so `shop/api.example.com` beside `*\/api.example.com`, or a SIMPLE server beside a PASSTHROUGH match, give two
 * chains with one server name; Envoy refuses the listener. The translation and our proxy's listener check agree.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/gateway/duplicate-sni-host.js';
import conflicting from '../../../src/checks/rules/gateway/conflicting-gateways.js';
import { gatewayServerHostKey } from '../../../src/mesh/hosts.js';
import { findingsOf, listenerRefusals } from './_harness.js';

const dir = new URL('../../fixtures/rules/gateway/duplicate-sni-host/', import.meta.url);
const fail = fs.readFileSync(new URL('fail.yaml', dir), 'utf8');
const pass = fs.readFileSync(new URL('pass.yaml', dir), 'utf8');

const listenerErrors = (yaml: string) => listenerRefusals(yaml, 'router');

const names = async (yaml: string) => (await findingsOf(yaml, [rule])).map((f) => `${f.resource!.name}:${f.location.line}`);

test('GIVEN gateway server hosts WHEN keyed as istiod\'s CheckDuplicates compares them THEN "." becomes the namespace, "*" is dropped, the rest stays as written', () => {
  assert.is(gatewayServerHostKey('./api.example.com', 'istio-ingress'), 'istio-ingress/api.example.com');
  assert.is(gatewayServerHostKey('*/api.example.com', 'istio-ingress'), 'api.example.com');
  assert.is(gatewayServerHostKey('api.example.com', 'istio-ingress'), 'api.example.com');
  assert.is(gatewayServerHostKey('shop/API.example.com', 'istio-ingress'), 'shop/API.example.com');
  assert.is(gatewayServerHostKey('*/*', 'istio-ingress'), '*');
});

test('GIVEN shop/api.example.com and */api.example.com on 443, and a SIMPLE server beside a PASSTHROUGH match on 8443 WHEN translated THEN Envoy\'s listener check refuses both listeners, the rule reports both, and IST0145 (hosts as written) stays silent', async () => {
  const errors = await listenerErrors(fail);
  assert.ok(errors.some((e) => e.includes('"0.0.0.0_443"')), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes('"0.0.0.0_8443"')), errors.join('\n'));
  assert.equal(await names(fail), ['partners:69', 'partners:72']);
  const [first] = await findingsOf(fail, [rule]);
  assert.match(first!.message, /so "\*\/api\.example\.com" and "shop\/api\.example\.com" are both kept, .*Envoy rejects listener 0\.0\.0\.0_443 .*Fix: serve the host from one server/);
  assert.equal(await findingsOf(fail, [conflicting]), []);
});

test('GIVEN distinct SNI names WHEN translated THEN the listeners load and the rule is silent', async () => {
  assert.equal(await listenerErrors(pass), []);
  assert.equal(await findingsOf(pass, [rule]), []);
});

test('GIVEN the same host written alike, or as "./" and as the Gateway\'s namespace WHEN checked THEN istiod skips the later server (CheckDuplicates), so nothing is reported', async () => {
  const alike = fail.replace('hosts: ["*/api.example.com"]', 'hosts: [shop/api.example.com]');
  assert.equal(await names(alike), ['partners:72']);
  const dot = fail.replace('hosts: [shop/api.example.com]', 'hosts: [istio-ingress/api.example.com]').replace('hosts: ["*/api.example.com"]', 'hosts: [./api.example.com]');
  assert.equal(await names(dot), ['partners:72']);
  const bare = fail.replace('hosts: [shop/api.example.com]', 'hosts: [api.example.com]');
  assert.equal(await names(bare), ['partners:72']);
});

test('GIVEN the two servers on different bind addresses WHEN checked THEN nothing is reported for them (separate listeners)', async () => {
  const bound = fail.replace('hosts: ["*/api.example.com"]', 'bind: 10.0.0.9\n    hosts: ["*/api.example.com"]');
  assert.equal(await names(bound), ['partners:73']);
});

test('GIVEN "./api.example.com" in Gateways of two namespaces WHEN checked THEN left to the gateway conflict rules (IST0145 pairs hosts written alike and says Envoy rejects the listener)', async () => {
  const dots = fail.replace('hosts: [shop/api.example.com]', 'hosts: [./api.example.com]').replace('hosts: ["*/api.example.com"]', 'hosts: [./api.example.com]')
    .replace(/name: partners\n  namespace: istio-ingress/, 'name: partners\n  namespace: partners');
  assert.equal(await names(dots), ['partners:72']);
  assert.ok((await findingsOf(dots, [conflicting])).some((f) => f.message.includes('Envoy rejects listener 0.0.0.0_443')));
});

test.run();
