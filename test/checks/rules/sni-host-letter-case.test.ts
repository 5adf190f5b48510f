/**
 * `gateway/sni-host-letter-case`: istiod drops a TLS server or PASSTHROUGH match only when it repeats an SNI host
 * exactly (model.CheckDuplicates), so `API.example.com` and `api.example.com` both become filter chains; Envoy
 * lower-cases server_names (filter_chain_manager_impl.cc) and rejects the listener. The translation and our proxy's
 * listener check (Envoy's rule) agree with the finding.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/gateway/sni-host-letter-case.js';
import { findingsOf, listenerRefusals } from './_harness.js';

const dir = new URL('../../fixtures/rules/gateway/sni-host-letter-case/', import.meta.url);
const fail = fs.readFileSync(new URL('fail.yaml', dir), 'utf8');
const pass = fs.readFileSync(new URL('pass.yaml', dir), 'utf8');

const listenerErrors = (yaml: string) => listenerRefusals(yaml, 'router');

test('GIVEN SNI hosts differing only in case on 443 (two Gateways) and 8443 (two PASSTHROUGH matches) WHEN translated THEN Envoy\'s listener check refuses both listeners, and the rule reports both', async () => {
  const errors = await listenerErrors(fail);
  assert.ok(errors.some((e) => e.includes('0.0.0.0_443')), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes('0.0.0.0_8443')), errors.join('\n'));
  const found = await findingsOf(fail, [rule]);
  assert.equal(found.map((f) => `${f.resource!.kind}/${f.resource!.name}`), ['Gateway/partners', 'VirtualService/pay-lower']);
});

test('GIVEN distinct SNI hosts WHEN translated THEN the listeners load and the rule is silent', async () => {
  assert.equal(await listenerErrors(pass), []);
  assert.equal(await findingsOf(pass, [rule]), []);
});

test('GIVEN the same Gateways with different bind addresses WHEN checked THEN nothing is reported (separate listeners)', async () => {
  const bound = fail.replace('hosts: [api.example.com]', 'bind: 10.0.0.9\n    hosts: [api.example.com]');
  assert.not.ok((await findingsOf(bound, [rule])).some((f) => f.resource!.name === 'partners'));
});

test('GIVEN a later server repeating a host exactly beside one in other case WHEN checked THEN istiod skips that whole server (CheckDuplicates), so nothing overlaps', async () => {
  const skipped = fail.replace('hosts: [api.example.com]', 'hosts: [API.example.com, api.example.com]');
  assert.not.ok((await findingsOf(skipped, [rule])).some((f) => f.resource!.name === 'partners'));
});

test('GIVEN one server listing a host in two letter cases WHEN checked THEN it is reported (Envoy indexes the chain twice under one name)', async () => {
  const both = fail.replace('hosts: [API.example.com]', 'hosts: [API.example.com, api.example.com]').replace('hosts: [api.example.com]', 'hosts: [partners.example.com]');
  const found = await findingsOf(both, [rule]);
  assert.ok(found.some((f) => f.resource!.name === 'public' && f.message.includes('"api.example.com" of Gateway istio-ingress/public')), found.map((f) => f.message).join('\n'));
});

test('GIVEN a later server writing "./API.example.com" in the namespace whose "istio-ingress/..." an earlier server wrote WHEN checked THEN istiod skips it (CheckDuplicates after "./" became the namespace), so only the first repeat is judged', async () => {
  const dot = fail.replace('hosts: [API.example.com]', 'hosts: [istio-ingress/API.example.com]') + `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: late
  namespace: istio-ingress
  creationTimestamp: "2026-01-01T00:00:00Z"
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-late, protocol: HTTPS}
    hosts: [./API.example.com, Late.example.com]
    tls: {mode: SIMPLE, credentialName: late-cert}
`;
  const found = await findingsOf(dot.replace('hosts: [api.example.com]', 'hosts: [late.example.com]'), [rule]);
  assert.equal(found.map((f) => f.resource!.name), ['pay-lower']);
});

test.run();
