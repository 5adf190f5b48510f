/**
 * The identity check of authenticated ADS streams as a table: which namespace and service account a
 * node claims (the namespace its snapshot-cache key is served under), and which SPIFFE IDs may name it
 * (istiod's `checkConnectionIdentity`). Over real sockets: serve-tls-node-identity.test.ts.
 */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NodeSchema } from '../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import { nodeCacheKey, nodeClaim } from '../../src/xds/sds/node-identity.js';
import { nodeIdentityRefusal } from '../../src/xds/server/node-authorization.js';

const node = (id: string, metadata: Record<string, string> = {}) => create(NodeSchema, { id, metadata });

test('GIVEN node ids of each form WHEN their claim is read THEN the namespace is the one of their snapshot-cache key, the service account the SERVICE_ACCOUNT metadata', () => {
  const rows: [string, Record<string, string>, ReturnType<typeof nodeClaim>][] = [
    ['shop/web', {}, { namespace: 'shop' }],
    ['grpc:shop/web', {}, { namespace: 'shop' }],
    ['shop/web?bind=127.0.0.1&as=other/robot', {}, { namespace: 'shop' }],
    ['sidecar~10.0.0.1~web-5d8f-abcde.shop~shop.svc.cluster.local', {}, { namespace: 'shop' }],
    ['sidecar~10.0.0.1~web-5d8f-abcde.shop~shop.svc.cluster.local', { NAMESPACE: 'other' }, { namespace: 'other' }],
    ['sidecar~10.0.0.1~web-5d8f-abcde.shop~shop.svc.cluster.local', { NAMESPACE: '' }, { namespace: 'shop' }],
    ['shop/web', { SERVICE_ACCOUNT: 'web' }, { namespace: 'shop', serviceAccount: 'web' }],
    ['web', {}, undefined],
    ['grpc:web', {}, undefined],
  ];
  for (const [id, metadata, want] of rows) {
    assert.equal(nodeClaim(node(id, metadata)), want, `${id} ${JSON.stringify(metadata)}`);
    const key = nodeCacheKey(node(id, metadata), () => false);
    if (want && !id.includes('?')) assert.is(key.replace(/^grpc:/, '').split('/')[0], want.namespace, `key ${key} of ${id}`);
  }
});

test('GIVEN a node claim WHEN clients of several identities name it THEN only its namespace (and service account, when said) passes; other trust domains are not compared', () => {
  const claim = { namespace: 'shop' };
  assert.is(nodeIdentityRefusal('spiffe://cluster.local/ns/shop/sa/web', claim), undefined);
  assert.is(nodeIdentityRefusal('spiffe://other.example/ns/shop/sa/anyone', claim), undefined);
  assert.match(nodeIdentityRefusal('spiffe://cluster.local/ns/bank/sa/web', claim) ?? '', /authenticated as spiffe:\/\/cluster\.local\/ns\/bank\/sa\/web \(namespace bank\), and the node is in namespace shop; .*--identity shop\/<service account> /);
  assert.match(nodeIdentityRefusal(undefined, claim) ?? '', /^the client certificate carries no SPIFFE ID .*and the node needs namespace shop; issue a client certificate/);
  assert.match(nodeIdentityRefusal('spiffe://cluster.local/batch/job', claim) ?? '', /which names no namespace/);
  const withSa = { namespace: 'shop', serviceAccount: 'web' };
  assert.is(nodeIdentityRefusal('spiffe://cluster.local/ns/shop/sa/web', withSa), undefined);
  assert.match(nodeIdentityRefusal('spiffe://cluster.local/ns/shop/sa/cart', withSa) ?? '', /\(service account cart\), and the node says it runs as service account web .*--identity shop\/web /);
});

test.run();
