/**
 * A broken authorization promise says where the deciding policies are (file:line of each, as a
 * route refusal does) and how to fix it, whichever way it broke: refused by no ALLOW rule matching,
 * refused by a DENY policy, admitted by an ALLOW rule, or admitted because no ALLOW policy applies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { judgeAuthorization } from '../../src/verify/static/policies.js';
import { graphOf } from '../mesh/_graph.js';
import { ns } from '../mesh/view-fixtures.js';

const inventory = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'inventory-v1', namespace: 'store' }, spec: { selector: { matchLabels: { app: 'inventory' } }, template: { metadata: { labels: { app: 'inventory' } }, spec: { containers: [{ name: 'inventory', image: 'inventory:1', ports: [{ containerPort: 8080, name: 'http' }] }] } } } };
const FRONTEND = 'cluster.local/ns/store/sa/frontend';
const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'store' }, spec });
const allowNothing = policy('allow-nothing', { action: 'ALLOW' });
const allowInventory = (principal: string) => policy('allow-inventory', { selector: { matchLabels: { app: 'inventory' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal] } }], to: [{ operation: { methods: ['GET'] } }] }] });
const denyFrontend = policy('deny-frontend', { selector: { matchLabels: { app: 'inventory' } }, action: 'DENY', rules: [{ from: [{ source: { principals: [FRONTEND] } }] }] });

const judged = (allowed: boolean, objects: Record<string, unknown>[]) => {
  const e: Expectation = {
    id: 'store/allow-inventory#allow.0', promise: `frontend is ${allowed ? 'admitted' : 'refused'}`, source: { constructPath: 'store/allow-inventory', file: 'apps/store.ts', line: 1 },
    outcome: { kind: 'authorization', namespace: 'store', selector: { app: 'inventory' }, principal: FRONTEND, port: 8080, allowed },
  };
  return judgeAuthorization(graphOf([ns('store'), inventory, ...objects]), e, e.outcome as Parameters<typeof judgeAuthorization>[2]);
};

test('GIVEN ALLOW policies none of whose rules names the caller WHEN "frontend is admitted" is judged THEN broken, naming each ALLOW policy with its file:line, and the fix adds a rule to the policy that selects the workload', () => {
  const v = judged(true, [allowNothing, allowInventory('cluster.local/ns/store/sa/cart')]);
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, /^Deployment store\/inventory-v1 refuses \(403\) cluster\.local\/ns\/store\/sa\/frontend: none of AuthorizationPolicy store\/allow-nothing, AuthorizationPolicy store\/allow-inventory \(ALLOW\) matches \(store\/allow-nothing at test\.yaml:\d+, store\/allow-inventory at test\.yaml:\d+\); fix: add a rule to AuthorizationPolicy store\/allow-inventory with from\.source\.principals \["cluster\.local\/ns\/store\/sa\/frontend"\] and a to\.operation covering GET \/ on port 8080/, v.detail);
});

test('GIVEN a DENY policy for the caller WHEN "frontend is admitted" is judged THEN broken at the DENY policy\'s line, and the fix narrows it', () => {
  const v = judged(true, [allowInventory(FRONTEND), denyFrontend]);
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, /: AuthorizationPolicy store\/deny-frontend \(DENY\) matches \(test\.yaml:\d+\); fix: narrow AuthorizationPolicy store\/deny-frontend \(DENY\) so that it leaves cluster\.local\/ns\/store\/sa\/frontend out/, v.detail);
});

test('GIVEN an ALLOW rule naming the caller WHEN "frontend is refused" is judged THEN broken at that policy\'s line, and the fix takes the caller out of its rule', () => {
  const v = judged(false, [allowInventory(FRONTEND)]);
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, /^Deployment store\/inventory-v1 admits cluster\.local\/ns\/store\/sa\/frontend: AuthorizationPolicy store\/allow-inventory \(ALLOW\) matches \(test\.yaml:\d+\); fix: take cluster\.local\/ns\/store\/sa\/frontend out of the rule of AuthorizationPolicy store\/allow-inventory/, v.detail);
});

test('GIVEN no AuthorizationPolicy WHEN "frontend is refused" is judged THEN broken, saying no ALLOW policy selects the workload, and the fix adds one', () => {
  const v = judged(false, []);
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, /\(no ALLOW AuthorizationPolicy selects the workload\); fix: add an ALLOW AuthorizationPolicy selecting Deployment store\/inventory-v1 with rules for only the callers that should reach it/, v.detail);
});

test.run();
