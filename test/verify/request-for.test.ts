import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requestFor } from '../../src/verify/expectations/from-routes.js';
import { requestMatches } from '../../src/verify/static/match.js';

const base = { host: 'reviews.shop.svc.cluster.local', via: { kind: 'mesh' as const, namespace: 'shop' } };

test('GIVEN route matches with presence conditions (an empty StringMatch: istiod present_match) WHEN verify writes a request for each THEN it sends the header or parameter with a value, and the request satisfies the match', () => {
  const matches: Record<string, unknown>[] = [
    { headers: { 'x-canary': {} } },
    { queryParams: { preview: {} }, method: {} },
    { authority: {}, headers: { 'end-user': { exact: 'jason' }, 'x-trace': {} } },
  ];
  for (const m of matches) {
    const r = requestFor(m, base as never);
    assert.ok(r, `a request is written for ${JSON.stringify(m)}`);
    assert.ok(requestMatches(m as never, { authority: r!.host, path: r!.path, method: r!.method, headers: r!.headers }), JSON.stringify([m, r]));
  }
  assert.equal(requestFor({ headers: { 'x-canary': {} } }, base as never)!.headers, { 'x-canary': '1' });
  assert.is(requestFor({ method: {} }, base as never)!.method, 'GET', 'any method: the default one');
});

test.run();
