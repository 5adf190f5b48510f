/**
 * The static authorization judge on a TCP port takes the rules as istiod builds the network RBAC
 * filter (`Generate(forTCP)`, `rule.checkError`): an ALLOW rule with an HTTP-only field is dropped
 * (it admits nobody there), a DENY rule loses the field (it refuses every connection of its
 * callers). It agrees rule by rule with the xDS translator (`translateRule(…, forTcp)`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildInbound, proxyOf, ruleOnTcpChain } from '../../src/mesh/view/index.js';
import { isRecord } from '../../src/mesh/object.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { judgeAuthorization } from '../../src/verify/static/policies.js';
import { translateRule } from '../../src/xds/translate/rbac.js';
import { graphOf } from '../mesh/_graph.js';
import { ns } from '../mesh/view-fixtures.js';

const APP = 'cluster.local/ns/db/sa/app';
const db = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db', namespace: 'db' }, spec: { selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1', ports: [{ containerPort: 5432 }] }] } } } };
const service = (portName: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'db' }, spec: { selector: { app: 'db' }, ports: [{ name: portName, port: 5432, targetPort: 5432 }] } });
const policy = (name: string, action: string, rules: Record<string, unknown>[]) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'db' }, spec: { selector: { matchLabels: { app: 'db' } }, action, rules } });
const admitted = (allowed: boolean): Expectation => ({
  id: 'db#app', promise: `app ${allowed ? 'is admitted' : 'is refused'} on 5432`, source: { constructPath: 'db', file: 'apps/db.ts', line: 1 },
  outcome: { kind: 'authorization', namespace: 'db', selector: { app: 'db' }, principal: APP, port: 5432, method: 'GET', path: '/db', allowed },
});
const judge = (portName: string, p: Record<string, unknown>, allowed: boolean) => {
  const e = admitted(allowed);
  return judgeAuthorization(graphOf([ns('db'), db, service(portName), p]), e, e.outcome as Extract<Expectation['outcome'], { kind: 'authorization' }>);
};

test('GIVEN an ALLOW rule for app with only HTTP fields (paths, methods) WHEN judged on a TCP port THEN app is refused (the rule is dropped, naming why); on an HTTP port the same rule admits GET /db', () => {
  const httpOnly = policy('allow-app', 'ALLOW', [{ from: [{ source: { principals: [APP] } }], to: [{ operation: { paths: ['/db'], methods: ['GET'] } }] }]);
  const tcp = judge('tcp', httpOnly, true);
  assert.is(tcp.status, 'broken', tcp.detail);
  assert.match(tcp.detail, `refuses (closes the connection on TCP port 5432) ${APP}`);
  assert.match(tcp.detail, 'port 5432 is a TCP port, where a rule naming hosts, methods, paths, requestPrincipals or request headers/claims is dropped, as istiod does (AuthorizationPolicy db/allow-app)');
  assert.match(tcp.detail, 'with no hosts, methods, paths or other HTTP-only field (port 5432 is TCP)');
  assert.is(judge('tcp', httpOnly, false).status, 'held');
  const http = judge('http', httpOnly, true);
  assert.is(http.status, 'held', http.detail);
});

test('GIVEN a DENY rule for app on POST only WHEN judged on a TCP port THEN app is refused every connection (the method is left out); on an HTTP port its GET is admitted', () => {
  const denyPost = policy('deny-post', 'DENY', [{ from: [{ source: { principals: [APP] } }], to: [{ operation: { methods: ['POST'] } }] }]);
  const tcp = judge('tcp', denyPost, true);
  assert.is(tcp.status, 'broken', tcp.detail);
  assert.match(tcp.detail, 'AuthorizationPolicy db/deny-post (DENY) matches');
  assert.is(judge('http', denyPost, true).status, 'held');
});

test('GIVEN rules with and without HTTP-only fields under each action WHEN taken for a TCP chain THEN the static judge drops exactly the rules the xDS translator drops', () => {
  const rules: Record<string, unknown>[] = [
    { from: [{ source: { principals: [APP] } }] },
    { from: [{ source: { requestPrincipals: ['iss/sub'] } }] },
    { to: [{ operation: { notPaths: ['/x'] } }] },
    { to: [{ operation: { ports: ['5432'] } }] },
    { when: [{ key: 'request.headers[x-user]', values: ['a'] }] },
    { when: [{ key: 'source.ip', values: ['10.0.0.0/8'] }] },
    { when: [{ key: 'request.auth.claims[groups]', values: ['a'] }] },
  ];
  for (const action of ['ALLOW', 'DENY', 'AUDIT'] as const) {
    const g = graphOf([ns('db'), db, service('tcp'), policy('p', action, rules)]);
    const view = buildInbound(g, proxyOf(g, g.workloads.all[0]!)).authorizationPolicies[0]!;
    rules.forEach((r, i) => {
      const translated = translateRule(view.rules[i]!, action, true).policy !== undefined;
      const kept = ruleOnTcpChain(r, action);
      assert.is(kept !== null, translated, `${action} ${JSON.stringify(r)}`);
      const httpOnlyLeft = kept !== null && JSON.stringify(kept).match(/requestPrincipals|notPaths|request\.headers|request\.auth/) !== null;
      assert.not.ok(httpOnlyLeft, `${action} ${JSON.stringify(kept)} keeps an HTTP-only field`);
      if (isRecord(kept) && i === 0) assert.equal(kept, r);
    });
  }
});

test.run();
