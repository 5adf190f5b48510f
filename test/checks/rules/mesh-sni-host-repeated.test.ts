/**
 * `routing/mesh-sni-host-repeated`: istiod drops a sidecar `tls` match only when its whole sniHosts and
 * destinationSubnets repeat an earlier one's as written (tls.go hashRuntimeTLSMatchPredicates), so `[a, b]` beside
 * `[b]` become two filter chains naming `b` on one outbound listener, which Envoy refuses (filter_chain_manager_impl.cc).
 * The translation and our proxy's listener check (Envoy's rule) agree with the finding.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import letterCase from '../../../src/checks/rules/routing/mesh-sni-host-letter-case.js';
import rule from '../../../src/checks/rules/routing/mesh-sni-host-repeated.js';
import { findingsOf, listenerRefusals } from './_harness.js';

const dir = new URL('../../fixtures/rules/routing/mesh-sni-host-repeated/', import.meta.url);
const fail = fs.readFileSync(new URL('fail.yaml', dir), 'utf8');
const pass = fs.readFileSync(new URL('pass.yaml', dir), 'utf8');

const listenerErrors = (yaml: string) => listenerRefusals(yaml, 'sidecar');

test('GIVEN matches [api, api-eu] and [api] on port 443 WHEN translated for the sidecar THEN Envoy\'s listener check refuses 0.0.0.0_443, and the rule reports the later match (the letter-case rule is silent)', async () => {
  const errors = await listenerErrors(fail);
  assert.ok(errors.some((e) => e.includes('"0.0.0.0_443"') && e.includes('overlapping matching rules')), errors.join('\n'));
  const found = await findingsOf(fail, [rule]);
  assert.equal(found.map((f) => `${f.resource!.name} ${f.severity}`), ['partners-api error']);
  assert.match(found[0]!.message, /Envoy gets "api\.example\.com" in two filter chains, which overlap, and rejects listener 0\.0\.0\.0_443 .*Fix: name "api\.example\.com" in one match only/);
  assert.equal(await findingsOf(fail, [letterCase]), []);
});

test('GIVEN each SNI host in one match WHEN translated THEN the listener loads and the rule is silent', async () => {
  assert.equal(await listenerErrors(pass), []);
  assert.equal(await findingsOf(pass, [rule]), []);
});

test('GIVEN the same list in another order ([api-eu, api] beside [api, api-eu]) WHEN checked THEN it is reported: istiod hashes the lists as written, so both chains stay', async () => {
  const swapped = fail.replace('sniHosts: [api.example.com]\n', 'sniHosts: [api-eu.example.com, api.example.com]\n');
  assert.ok((await listenerErrors(swapped)).some((e) => e.includes('"0.0.0.0_443"')));
  assert.equal((await findingsOf(swapped, [rule])).map((f) => f.resource!.name), ['partners-api', 'partners-api']);
});

test('GIVEN the very same list in both VirtualServices WHEN checked THEN nothing is reported: istiod keeps only the first match', async () => {
  const same = fail.replace('sniHosts: [api.example.com]\n', 'sniHosts: [api.example.com, api-eu.example.com]\n');
  assert.equal(await findingsOf(same, [rule]), []);
});

test('GIVEN one match listing a host twice WHEN checked THEN it is reported as listed twice (one chain naming a server name twice for Envoy)', async () => {
  const twice = fail.replace('sniHosts: [api.example.com, api-eu.example.com]', 'sniHosts: [api-eu.example.com, api-eu.example.com]').replace('sniHosts: [api.example.com]\n', 'sniHosts: [api-us.example.com]\n');
  assert.ok((await listenerErrors(twice)).some((e) => e.includes('"0.0.0.0_443"')));
  const found = await findingsOf(twice, [rule]);
  assert.equal(found.map((f) => f.resource!.name), ['partners-all']);
  assert.match(found[0]!.message, /^SNI host "api-eu\.example\.com" is listed twice in VirtualService shop\/partners-all tls\[0\]\.match\[0\] .*in one filter chain twice/);
});

test('GIVEN the two matches on different destination subnets WHEN checked THEN nothing is reported (the chains differ in prefix_ranges)', async () => {
  const apart = fail.replace('sniHosts: [api.example.com, api-eu.example.com]', 'sniHosts: [api.example.com, api-eu.example.com]\n      destinationSubnets: [10.1.0.0/16]')
    .replace('sniHosts: [api.example.com]\n', 'sniHosts: [api.example.com]\n      destinationSubnets: [10.2.0.0/16]\n');
  assert.equal(await listenerErrors(apart), []);
  assert.equal(await findingsOf(apart, [rule]), []);
});

const joining = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c, image: c}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [a.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b, namespace: shop, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  hosts: [b.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: shop}
spec:
  hosts: [a.example.com]
  tls:
  - match: [{sniHosts: [a.example.com]}]
    route: [{destination: {host: a.example.com}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: shop}
spec:
  hosts: [b.example.com, c.example.com]
  tls:
  - match: [{sniHosts: [b.example.com, c.example.com]}]
    route: [{destination: {host: b.example.com}}]
  - match: [{sniHosts: [c.example.com, b.example.com]}]
    route: [{destination: {host: b.example.com}}]
`;

test('GIVEN [b, c] and [c, b] for b.example.com, which joins the 0.0.0.0_443 listener a.example.com (created earlier) made WHEN checked THEN nothing is reported: istiod merges a joining service chain by chain (mergeTCPFilterChains, conflictsWith: SNI sets) and drops [c, b]; made by b.example.com (created first) both chains stay and it is reported', async () => {
  assert.equal(await findingsOf(joining, [rule]), []);
  const first = joining.replace('2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z');
  assert.equal((await findingsOf(first, [rule])).map((f) => f.fieldPath!.join('.')).sort(), ['spec.tls.1.match.0.sniHosts.0', 'spec.tls.1.match.0.sniHosts.1']);
});

test('GIVEN the task example (b.example.com joining the listener a.example.com made) WHEN translated for the sidecar THEN the listener loads: the translator drops [c, b] as istiod does; made by b.example.com, both chains reach Envoy, which refuses it, as the rule reports', async () => {
  assert.equal(await listenerErrors(joining), []);
  const first = joining.replace('2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z');
  assert.ok((await listenerErrors(first)).some((e) => e.includes('"0.0.0.0_443"')));
});

const carried = fail
  .replace('sniHosts: [api.example.com, api-eu.example.com]', 'sniHosts: [api.example.com]\n      destinationSubnets: [10.1.0.0/16]');

test('GIVEN [api] on 10.1.0.0/16 in an older VirtualService and [api] without subnets in a newer one WHEN checked THEN the newer is reported: istiod carries the earlier match\'s destinationSubnets to it (tls.go), so both chains match api on 10.1.0.0/16 and Envoy refuses the listener', async () => {
  assert.ok((await listenerErrors(carried)).some((e) => e.includes('"0.0.0.0_443"')), 'the translated listener repeats the match');
  const found = await findingsOf(carried, [rule]);
  assert.equal(found.map((f) => `${f.resource!.name} ${f.fieldPath!.join('.')}`), ['partners-api spec.tls.0.match.0.sniHosts.0']);
});

test('GIVEN the subnets only on the newer match WHEN checked THEN nothing is reported: nothing earlier is carried to the older one', async () => {
  const later = fail.replace('sniHosts: [api.example.com, api-eu.example.com]', 'sniHosts: [api.example.com]')
    .replace(/sniHosts: \[api\.example\.com\]\n    route:\n    - destination: \{host: api-eu/, 'sniHosts: [api.example.com]\n      destinationSubnets: [10.1.0.0/16]\n    route:\n    - destination: {host: api-eu');
  assert.ok(later.includes('10.1.0.0/16'));
  assert.equal(await listenerErrors(later), []);
  assert.equal(await findingsOf(later, [rule]), []);
});

test('GIVEN [*, api] and [api] WHEN checked THEN nothing is reported and the listener loads: a chain with * has no server_names at all (listener.go toFilterChainMatch), so only the other names api', async () => {
  const star = fail.replace('sniHosts: [api.example.com, api-eu.example.com]', 'sniHosts: ["*", api.example.com]');
  assert.equal(await listenerErrors(star), []);
  assert.equal(await findingsOf(star, [rule]), []);
});

test('GIVEN [*, api] and [*, api-eu] WHEN checked THEN the later * is reported: both chains have no server_names and the same prefix_ranges, which Envoy refuses', async () => {
  const stars = fail.replace('sniHosts: [api.example.com, api-eu.example.com]', 'sniHosts: ["*", api.example.com]')
    .replace('sniHosts: [api.example.com]\n', 'sniHosts: ["*", api-eu.example.com]\n');
  assert.ok((await listenerErrors(stars)).some((e) => e.includes('"0.0.0.0_443"')));
  const found = await findingsOf(stars, [rule]);
  assert.equal(found.map((f) => `${f.resource!.name} ${f.fieldPath!.join('.')}`), ['partners-api spec.tls.0.match.0.sniHosts.0']);
  assert.match(found[0]!.message, /^SNI host "\*" of VirtualService shop\/partners-api tls\[0\]\.match\[0\] is also matched by VirtualService shop\/partners-all/);
});

test.run();
