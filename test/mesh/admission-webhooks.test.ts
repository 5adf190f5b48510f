import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { webhookSelectorMatches, webhooksOf } from '../../src/mesh/admission-webhooks.js';
import { toMeshObject } from '../../src/mesh/object.js';

const mwc = (body: Record<string, unknown>, apiVersion = 'admissionregistration.k8s.io/v1') => toMeshObject({
  body: { apiVersion, kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector' }, ...body },
  file: 'x.yaml', docIndex: 0, itemIndex: null, location: { file: 'x.yaml', line: 1, column: 1 }, source: null, locate: () => ({ file: 'x.yaml', line: 1, column: 1 }),
} as never);

test('GIVEN webhook selectors WHEN matched against labels THEN as metav1.LabelSelectorAsSelector', () => {
  const ns = { 'istio-injection': 'enabled' };
  assert.ok(webhookSelectorMatches(undefined, ns), 'absent selects everything');
  assert.ok(webhookSelectorMatches(null, {}), 'null selects everything');
  assert.ok(webhookSelectorMatches({}, ns), '{} selects everything');
  assert.ok(webhookSelectorMatches({ matchLabels: { 'istio-injection': 'enabled' } }, ns));
  assert.not.ok(webhookSelectorMatches({ matchLabels: { 'istio-injection': 'enabled' } }, {}));
  assert.ok(webhookSelectorMatches({ matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }] }, ns));
  assert.ok(webhookSelectorMatches({ matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] }, {}), 'NotIn holds when the key is absent');
  assert.not.ok(webhookSelectorMatches({ matchExpressions: [{ key: 'istio-injection', operator: 'In', values: [] }] }, ns), 'In without values is refused: nothing');
  assert.not.ok(webhookSelectorMatches({ matchExpressions: [{ key: 'istio-injection', operator: 'Exists', values: ['enabled'] }] }, ns), 'Exists with values is refused');
  assert.not.ok(webhookSelectorMatches({ matchExpressions: [{ key: 'istio-injection', operator: 'in', values: ['enabled'] }] }, ns), 'operators are case-sensitive');
  assert.not.ok(webhookSelectorMatches({ matchLabels: { 'bad key!': 'x' } }, {}), 'a malformed key is refused');
});

test('GIVEN webhook configurations WHEN read THEN what istioctl cannot decode or read is skipped whole', () => {
  assert.ok('skipped' in webhooksOf(mwc({ webhooks: [] }, 'admissionregistration.k8s.io/v1beta1')));
  assert.ok('skipped' in webhooksOf(mwc({ webhooks: [{ name: 'a.istio.io', objectSelector: { matchLabels: { 'sidecar.istio.io/inject': true } } }] })));
  const read = webhooksOf(mwc({ webhooks: [{ name: 'a.istio.io', clientConfig: { service: { name: 'istiod', namespace: 'istio-system' } } }, { name: 'b.istio.io', clientConfig: { url: 'https://x' } }] }));
  assert.ok('webhooks' in read);
  if ('webhooks' in read) assert.equal(read.webhooks.map((w) => [w.name, w.service?.name, w.url]), [['a.istio.io', 'istiod', undefined], ['b.istio.io', undefined, 'https://x']]);
});

test.run();
