/**
 * Route tests (istio-config-validator format) name the authority as users write it: a VirtualService's
 * short host (`reviews`), with or without `:port`. Each is judged on the service's port and from the
 * namespace of the VirtualService naming the host (static judgement, no traffic).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRouteTests } from '../../src/verify/expectations/route-tests.js';
import { judgeRequest } from '../../src/verify/static/routing.js';
import type { RequestSpec } from '../../src/verify/expectations/types.js';
import { graphOf } from '../mesh/_graph.js';
import { deploy, dr, ns, route, svc, vs } from '../mesh/view-fixtures.js';

const graph = graphOf([
  ns('shop'),
  svc('reviews', 'shop'), deploy('reviews-v1', 'shop', { app: 'reviews', version: 'v1' }), deploy('reviews-v2', 'shop', { app: 'reviews', version: 'v2' }),
  deploy('web', 'shop', { app: 'web' }),
  dr('reviews', 'shop', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }),
  vs('reviews', 'shop', { hosts: ['reviews'], http: [{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [route('reviews', { subset: 'v2' })] }, { route: [route('reviews', { subset: 'v1' })] }] }),
]);

test('GIVEN route tests naming a short VirtualService host as authority, bare or with its port WHEN judged THEN they hold (the service\'s port, the VirtualService\'s namespace)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-rt-authority-'));
  try {
    fs.writeFileSync(path.join(dir, 'tests.yaml'), `testCases:
  - description: jason reaches reviews v2
    wantMatch: true
    request: { authority: ["reviews", "reviews:9080"], method: [GET], uri: [/], headers: { end-user: jason } }
    route:
      - destination: { host: reviews, subset: v2 }
  - description: others reach v1
    wantMatch: true
    request: { authority: ["reviews"], method: [GET], uri: [/] }
    route:
      - destination: { host: reviews, subset: v1 }
`);
    const { expectations } = loadRouteTests(path.join(dir, 'tests.yaml'), graph, 'tests.yaml');
    assert.is(expectations.length, 3);
    for (const e of expectations) {
      const request = (e as { request: RequestSpec }).request;
      assert.equal(request.via, { kind: 'mesh', namespace: 'shop' });
      const verdict = judgeRequest(graph, e as Parameters<typeof judgeRequest>[1]);
      assert.is(verdict.status, 'held', `${e.promise}: ${verdict.detail}`);
    }
    assert.equal(expectations.map((e) => { const r = (e as { request: RequestSpec }).request; return [r.host, r.port]; }), [['reviews.shop.svc.cluster.local', undefined], ['reviews.shop.svc.cluster.local', 9080], ['reviews.shop.svc.cluster.local', undefined]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
