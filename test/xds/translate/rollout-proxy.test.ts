/**
 * The pods of an Argo Rollout get a sidecar proxy like a Deployment's: `proxiesOf` lists it, its
 * per-proxy view has the inbound ports of the Services selecting it, and its translation has the
 * virtualInbound chains PeerAuthentication asks for. Input: test/fixtures/rollouts/canary.yaml,
 * read by the real loader.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { parseManifests } from '../../../src/mesh/parse.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';

const CANARY = fileURLToPath(new URL('../../fixtures/rollouts/canary.yaml', import.meta.url));

function graphFromText(text: string): MeshGraph {
  const parsed = parseManifests(text, 'canary.yaml', null);
  assert.equal(parsed.problems.filter((p) => p.unusable), []);
  return MeshGraph.from([parsed.file]);
}

async function graphOfFile(file: string): Promise<MeshGraph> {
  const loaded = await loadInputs([file]);
  assert.equal(loaded.problems.filter((p) => p.unusable), []);
  return MeshGraph.from(loaded.files);
}

test('GIVEN a Rollout with its own template in an injected namespace WHEN proxies are listed THEN its pods have a sidecar named after it, with the template labels (and the injector\'s) and service account', async () => {
  const graph = await graphOfFile(CANARY);
  const proxies = proxiesOf(graph).map((p) => [p.type, `${p.namespace}/${p.name}`, { ...p.labels }, p.serviceAccount, p.origin?.ref.kind, p.origin?.path]);
  const injector = (name: string, revision: string) => ({ 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': name, 'service.istio.io/canonical-revision': revision });
  assert.equal(proxies, [
    ['sidecar', 'shop/frontend', { ...injector('frontend', 'latest'), app: 'frontend' }, 'frontend', 'Deployment', ['spec', 'template']],
    ['sidecar', 'shop/reviews', { ...injector('reviews', 'v2'), app: 'reviews', version: 'v2' }, 'reviews', 'Rollout', ['spec', 'template']],
  ]);
});

test('GIVEN the Rollout\'s sidecar WHEN viewed and translated THEN inbound port 9080 serves its three Services, virtualInbound has the STRICT mTLS chain on 9080, and the snapshot is consistent', async () => {
  const graph = await graphOfFile(CANARY);
  const proxy = proxiesOf(graph).find((p) => p.name === 'reviews')!;
  const view = buildProxyView(graph, proxy);
  assert.equal(view.inbound!.ports.map((p) => [p.port, p.protocol, p.services.map((s) => `${s.host}:${s.port}`).sort()]), [
    [9080, 'HTTP', ['reviews-canary.shop.svc.cluster.local:9080', 'reviews-stable.shop.svc.cluster.local:9080', 'reviews.shop.svc.cluster.local:9080']],
  ]);
  const set = translateProxy(view, []);
  const raw = set.listeners.find((l) => l.name === VIRTUAL_INBOUND);
  assert.ok(raw, 'the Rollout sidecar has virtualInbound');
  const listener = fromBinary(ListenerSchema, toBinary(ListenerSchema, raw!));
  const chains = listener.filterChains.map((c) => [c.filterChainMatch?.destinationPort, c.filterChainMatch?.transportProtocol, c.name]);
  assert.ok(chains.some(([port, transport, name]) => port === 9080 && transport === 'tls' && name === 'inbound_0.0.0.0_9080_mtls'), JSON.stringify(chains));
  assert.not.ok(chains.some(([port, transport]) => port === 9080 && transport === 'raw_buffer'), 'STRICT on 9080: no plaintext chain');
  assert.ok(set.clusters.some((c) => c.name === 'inbound|9080||'));
  assert.equal(checkSnapshot(createSnapshot(set)), []);
});

test('GIVEN the Rollout with workloadRef to a Deployment WHEN proxies are listed THEN the Deployment\'s pods have one sidecar (not two); to a missing Deployment THEN none', async () => {
  const text = readFileSync(CANARY, 'utf8');
  const [head, rest] = text.split('kind: Rollout\n');
  const body = rest!.replace(/  selector: \{matchLabels: \{app: reviews\}\}\n  template:\n(    .*\n)+?  strategy:/, '  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: reviews}\n  strategy:');
  assert.ok(!body.includes('serviceAccountName: reviews'), 'the Rollout template was replaced');
  const deployment = `---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews, namespace: shop}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: reviews}}\n  template:\n    metadata: {labels: {app: reviews}}\n    spec:\n      serviceAccountName: reviews\n      containers: [{name: reviews, image: example/reviews:2, ports: [{name: http, containerPort: 9080}]}]\n`;
  const withRef = graphFromText(`${head}kind: Rollout\n${body}${deployment}`);
  assert.equal(proxiesOf(withRef).map((p) => `${p.origin?.ref.kind}/${p.name}`), ['Deployment/frontend', 'Deployment/reviews']);
  const missing = graphFromText(`${head}kind: Rollout\n${body}`);
  assert.equal(proxiesOf(missing).map((p) => `${p.origin?.ref.kind}/${p.name}`), ['Deployment/frontend']);
});

test.run();
