/**
 * The reload log line says which objects a reload added, removed and changed (by kind and
 * namespace/name when few), in a fixed order, and counts an object that only moved as unchanged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { changesText, objectChanges } from '../../src/cli/reload-changes.js';
import { graphOfYaml } from '../xds/translate/_carry.js';

const svc = (name: string, port = 80) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  selector: { app: ${name} }\n  ports:\n  - { name: http, port: ${port} }\n`;
const vs = (name: string) => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  hosts: [${name}]\n  http:\n  - route: [{ destination: { host: ${name} } }]\n`;
const istioGateway = `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: { name: edge, namespace: shop }\nspec:\n  selector: { istio: ingressgateway }\n  servers:\n  - { port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }\n`;
const k8sGateway = `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: edge, namespace: shop }\nspec:\n  gatewayClassName: istio\n  listeners:\n  - { name: http, port: 80, protocol: HTTP }\n`;
const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n';
const docs = (...d: string[]) => d.join('---\n');

async function changes(before: string, after: string) {
  return objectChanges((await graphOfYaml(before)).objects, (await graphOfYaml(after)).objects);
}

test('GIVEN a reload that removes one object, adds two and edits one WHEN described THEN "+2 added (…), -1 removed (…), 1 changed (…)", each list sorted', async () => {
  const c = await changes(docs(ns, svc('web'), svc('api'), vs('old')), docs(ns, vs('new'), svc('web', 8080), svc('api'), svc('cart')));
  assert.equal(c, { added: ['Service shop/cart', 'VirtualService shop/new'], removed: ['VirtualService shop/old'], changed: ['Service shop/web'] });
  assert.is(changesText(c), '+2 added (Service shop/cart, VirtualService shop/new), -1 removed (VirtualService shop/old), 1 changed (Service shop/web)');
});

test('GIVEN removing is not adding WHEN the same object is removed, then added back THEN the two lines differ by sign', async () => {
  assert.is(changesText(await changes(docs(ns, svc('web')), ns)), '-1 removed (Service shop/web)');
  assert.is(changesText(await changes(ns, docs(ns, svc('web')))), '+1 added (Service shop/web)');
});

test('GIVEN objects only moved (reordered, a comment on top) WHEN described THEN nothing added, removed or changed', async () => {
  const c = await changes(docs(ns, svc('web'), vs('web')), `# top\n${docs(vs('web'), ns, svc('web'))}`);
  assert.equal(c, { added: [], removed: [], changed: [] });
  assert.is(changesText(c), 'no object added, removed or changed');
});

test('GIVEN more objects than "few" in a count WHEN described THEN that count has no names; GIVEN two kinds of one name in two API groups THEN they are told apart', async () => {
  const many = docs(ns, ...['a', 'b', 'c', 'd'].map((n) => svc(n)));
  assert.is(changesText(await changes(ns, many)), '+4 added');
  assert.is(changesText(await changes(ns, many), 4), '+4 added (Service shop/a, Service shop/b, Service shop/c, Service shop/d)');
  assert.is(changesText(await changes(docs(ns, istioGateway), docs(ns, k8sGateway))), '+1 added (Gateway shop/edge), -1 removed (Gateway shop/edge)');
});

test.run();
