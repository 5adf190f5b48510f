/**
 * Placed proxies' node ids (`src/verify/external/placement.ts`) and the targets file of
 * `verify --runtime` (`targets.ts`): what they accept, what they refuse and how the refusal reads,
 * and what a placement does to a workload's translated resources.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { buildProxyView, proxyOf } from '../../src/mesh/view/index.js';
import { parsePlacement, placementNodeId, placeResources, PlacementError } from '../../src/verify/external/placement.js';
import { parseTargets, TargetsError } from '../../src/verify/external/targets.js';
import { translateProxy } from '../../src/xds/translate/index.js';
import { ROOT } from './_processes.js';

test('GIVEN placement node ids WHEN parsed THEN inbound (app default 127.0.0.1), bind and as are read, and plain ids are no placement', () => {
  assert.is(parsePlacement('bookinfo/reviews-v1'), undefined);
  assert.equal(parsePlacement('bookinfo/reviews-v1?inbound=10.244.0.7'), { nodeId: 'bookinfo/reviews-v1?inbound=10.244.0.7', namespace: 'bookinfo', workload: 'reviews-v1', inbound: { address: '10.244.0.7', appAddress: '127.0.0.1' } });
  assert.equal(parsePlacement('bookinfo/productpage-v1?bind=127.9.0.1&as=istio-ingress/istio-ingressgateway')?.as, { namespace: 'istio-ingress', serviceAccount: 'istio-ingressgateway' });
  assert.equal(parsePlacement('bookinfo/productpage-v1?as=bookinfo/productpage')?.bind, undefined);
  for (const id of ['bookinfo/reviews-v1?inbound=10.244.0.7&app=127.0.0.2', 'bookinfo/productpage-v1?bind=127.9.0.1&as=bookinfo/productpage']) {
    const p = parsePlacement(id)!;
    assert.is(placementNodeId(p), id);
  }
});

test('GIVEN malformed placement node ids WHEN parsed THEN a PlacementError names the part and the valid forms', () => {
  const cases: [string, RegExp][] = [
    ['bookinfo/reviews-v1?inbound=pod-ip', /inbound="pod-ip" is not an IP address/],
    ['bookinfo/reviews-v1?inbound=10.0.0.1&bind=127.0.0.1', /give inbound= or bind=, not both/],
    ['bookinfo/reviews-v1?bind=127.0.0.1&app=127.0.0.2', /app= goes with inbound=/],
    ['bookinfo/reviews-v1?as=reviews', /as="reviews" is not <namespace>\/<service account>/],
    ['bookinfo/reviews-v1?port=1', /unknown parameter "port"/],
    ['reviews-v1?bind=127.0.0.1', /"reviews-v1" is not <namespace>\/<workload>/],
    ['bookinfo/reviews-v1?', /no placement parameter/],
    ['bookinfo/reviews-v1?bind=127.0.0.1&bind=10.0.0.1', /bind= is given 2 times/],
  ];
  for (const [id, re] of cases) {
    assert.throws(() => parsePlacement(id), (e: Error) => e instanceof PlacementError && re.test(e.message) && e.message.includes(`node id "${id}"`) && /expected <namespace>\/<workload>\?inbound=/.test(e.message), id);
  }
});

test('GIVEN a placement node id with a newline in a value or a repeated parameter WHEN parsed THEN it is refused, the message quoting the value escaped on one line', () => {
  assert.throws(() => parsePlacement('bookinfo/reviews-v1?as=bookinfo/x\nforged'), (e: Error) => e instanceof PlacementError && e.message.includes('as="bookinfo/x\\nforged" is not') && !e.message.includes('\n'));
  // The second bind= would never be checked, and the id would be logged and served as given.
  assert.throws(() => parsePlacement('bookinfo/reviews-v1?bind=127.0.0.1&bind=\nforged'), (e: Error) => e instanceof PlacementError && /bind= is given 2 times/.test(e.message) && !e.message.includes('\n'));
});

test('GIVEN bookinfo reviews-v1 translated WHEN placed inbound or bound THEN the inbound side listens on the pod IP per port with clusters to the app, and the outbound side moves to the bound address', async () => {
  const graph = MeshGraph.from((await loadInputs(['dist'], { cwd: ROOT })).files);
  const w = graph.workloads.all.find((x) => x.namespace === 'bookinfo' && x.name === 'reviews-v1')!;
  const set = () => translateProxy(buildProxyView(graph, proxyOf(graph, w)), []);
  const inbound = placeResources(set(), parsePlacement('bookinfo/reviews-v1?inbound=10.244.0.7')!);
  assert.equal(inbound.listeners.map((l) => l.name), ['virtualInbound_9080']);
  const sa = inbound.listeners[0]!.address!.address;
  assert.equal(sa.case === 'socketAddress' ? [sa.value.address, sa.value.portSpecifier.value] : [], ['10.244.0.7', 9080]);
  assert.ok(inbound.clusters.length > 0 && inbound.clusters.every((c) => c.name.startsWith('inbound|')));
  const ep = inbound.clusters[0]!.loadAssignment!.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
  assert.is(ep.case === 'endpoint' && ep.value.address?.address.case === 'socketAddress' ? ep.value.address.address.value.address : '', '127.0.0.1');
  const outbound = placeResources(set(), parsePlacement('bookinfo/reviews-v1?bind=127.9.0.1')!);
  assert.ok(outbound.listeners.length > 0);
  for (const l of outbound.listeners) {
    assert.ok(l.name.startsWith('0.0.0.0_'), l.name);
    assert.is(l.address!.address.case === 'socketAddress' ? l.address!.address.value.address : '', '127.9.0.1');
  }
  assert.not.ok(outbound.clusters.some((c) => c.name.startsWith('inbound|')));
  // Identity only: the whole sidecar, unchanged.
  const whole = set();
  assert.is(placeResources(whole, parsePlacement('bookinfo/reviews-v1?as=bookinfo/productpage')!), whole);
});

test('GIVEN targets documents WHEN parsed THEN a good one is read (CA paths relative to the file), and each bad field is refused naming file, field, value and what is expected', () => {
  const ok = parseTargets({ version: 1, callers: [{ workload: 'bookinfo/productpage-v1', address: 'proxy.meshproof-system.svc', admin: 'proxy.meshproof-system.svc:15000' }], workloads: [{ workload: 'bookinfo/reviews-v1', address: '10.0.0.7' }], ca: { cert: 'ca/ca-cert.pem', key: '/ca/ca-key.pem' } }, '/config/runtime-targets.json');
  assert.equal(ok.ca, { cert: '/config/ca/ca-cert.pem', key: '/ca/ca-key.pem' });
  assert.is(ok.waitSeconds, 120);
  const cases: [unknown, RegExp][] = [
    [[], /t\.json: file: is not an object/],
    [{ version: 2, callers: [], workloads: [] }, /t\.json: version: is 2; expected 1/],
    [{ version: 1, callers: [], workloads: [] }, /names no callers and no workloads/],
    [{ version: 1, callers: [{ workload: 'bookinfo/productpage-v1', address: 'x', admin: 'x' }] }, /callers\[0\]\.admin: is "x"; expected host:port/],
    [{ version: 1, workloads: [{ workload: 'bookinfo/reviews-v1', address: 'http://x' }] }, /workloads\[0\]\.address: is "http:\/\/x"; expected a host name or IP/],
    [{ version: 1, workloads: [{ workload: 'bookinfo/reviews-v1', address: 'x' }], waitSeconds: -1 }, /waitSeconds: is -1; expected seconds, 0\.\.3600/],
    [{ version: 1, workloads: [{ workload: 'bookinfo/reviews-v1', address: 'x' }], ca: { cert: 'a' } }, /ca\.key: is undefined; expected the path of the CA's private key/],
  ];
  for (const [doc, re] of cases) assert.throws(() => parseTargets(doc, 't.json'), (e: Error) => e instanceof TargetsError && re.test(e.message), JSON.stringify(doc));
});

test.run();
