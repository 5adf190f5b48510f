/**
 * IST0101 (`references/destination-host-exists`) and `references/destination-rule-host-exists` for a host that
 * differs only in letter case from a declared one: the verdict stays istioctl's (hosts compared as written); the
 * advice depends on who declares the host. A Kubernetes Service host is lower case: fix the reference. A ServiceEntry
 * host with capitals is best lowered itself: istiod keeps its capitals in cluster names while sidecars route the host
 * by a lower-cased copy (serviceentry/host-letter-case).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import destinationHostExists from '../../../src/checks/rules/references/destination-host-exists.js';
import destinationRuleHostExists from '../../../src/checks/rules/references/destination-rule-host-exists.js';
import { findingsOf } from './_harness.js';

const entry = (host: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: shop}
spec:
  hosts: ["${host}"]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  location: MESH_EXTERNAL
`;
const route = (host: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: partner, namespace: shop}
spec:
  hosts: [partner.example.com]
  http:
  - route:
    - destination: {host: "${host}"}
`;
const rule = (host: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: partner, namespace: shop}
spec:
  host: "${host}"
`;

test('GIVEN a ServiceEntry host API.Partner.example and a VirtualService destination api.partner.example WHEN checked THEN IST0101 advises lowering the ServiceEntry host first', async () => {
  const found = await findingsOf(entry('API.Partner.example') + route('api.partner.example'), [destinationHostExists]);
  assert.is(found.length, 1);
  assert.match(found[0]!.message, /ServiceEntry shop\/partner declares "API\.Partner\.example", with capitals\. Fix: write the ServiceEntry host in lower case \("api\.partner\.example"\): /);
  assert.match(found[0]!.message, /or write "API\.Partner\.example" here as the ServiceEntry does$/);
  assert.not.match(found[0]!.message, /write "api\.partner\.example" here/);
});

test('GIVEN both hosts with capitals in different places WHEN checked THEN the advice lowers both', async () => {
  const found = await findingsOf(entry('API.Partner.example') + route('Api.partner.example'), [destinationHostExists]);
  assert.match(found[0]!.message, /write the ServiceEntry host in lower case \("api\.partner\.example"\) and write "api\.partner\.example" here/);
});

test('GIVEN a Kubernetes Service and a destination written with capitals WHEN checked THEN the advice is the lower-case Service host', async () => {
  const svc = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 80}]
`;
  const found = await findingsOf(svc + route('Reviews.shop.svc.cluster.local'), [destinationHostExists]);
  assert.is(found.length, 1);
  assert.match(found[0]!.message, /Service shop\/reviews declares "reviews\.shop\.svc\.cluster\.local" \(Kubernetes Service hosts are lower case\)\. Fix: write "reviews\.shop\.svc\.cluster\.local"$/);
});

test('GIVEN a lower-case ServiceEntry host and a destination with capitals WHEN checked THEN the advice is the ServiceEntry host', async () => {
  const found = await findingsOf(entry('api.partner.example') + route('API.partner.example'), [destinationHostExists]);
  assert.match(found[0]!.message, /declares "api\.partner\.example"\. Fix: write "api\.partner\.example"$/);
});

test('GIVEN a DestinationRule for api.partner.example beside the ServiceEntry host API.Partner.example WHEN checked THEN it advises lowering the ServiceEntry host', async () => {
  const found = await findingsOf(entry('API.Partner.example') + rule('api.partner.example'), [destinationRuleHostExists]);
  assert.is(found.length, 1);
  assert.match(found[0]!.message, /apply to nothing; host names are compared as written .* Fix: write the ServiceEntry host in lower case \("api\.partner\.example"\)/);
});

test.run();
