import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { parseWorkloadFile, translateProxy, WorkloadFileError } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, svc } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';

const workloads = parseWorkloadFile(JSON.stringify({
  workloads: [
    { name: 'reviews-v1-a', namespace: 'prod', address: '10.0.0.1', labels: { app: 'reviews', version: 'v1', 'topology.kubernetes.io/zone': 'z1' }, ports: { http: 8080 } },
    { name: 'reviews-v2-a', namespace: 'prod', address: '10.0.0.2', labels: { app: 'reviews', version: 'v2', 'topology.kubernetes.io/zone': 'z2' }, ports: { http: 8080 } },
    { name: 'reviews-v2-b', namespace: 'prod', address: '10.0.0.3', labels: { app: 'reviews', version: 'v2', 'topology.kubernetes.io/zone': 'z2' }, ports: { http: 8080 } },
    { name: 'reviews-other-ns', namespace: 'staging', address: '10.0.1.1', labels: { app: 'reviews', version: 'v1' } },
    { name: 'ratings', namespace: 'prod', address: '10.0.0.9', labels: { app: 'ratings' } },
  ],
}));

test('GIVEN workloads WHEN resolved THEN each subset gets the pods its selector and labels pick, on the named targetPort, per locality with a weight', () => {
  const g = graphOf([
    svc('reviews', 'prod', [{ port: 9080, name: 'http', targetPort: 'http' }]),
    dr('reviews', 'prod', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }),
  ]);
  const set = translateProxy(buildProxyView(g, client), workloads);
  const summary = (name: string) => set.endpoints.find((e) => e.clusterName === name)!.endpoints.map((l) => [
    l.locality?.zone, l.loadBalancingWeight,
    l.lbEndpoints.map((e) => (e.hostIdentifier.case === 'endpoint' && e.hostIdentifier.value.address?.address.case === 'socketAddress'
      ? `${e.hostIdentifier.value.address.address.value.address}:${e.hostIdentifier.value.address.address.value.portSpecifier.value}` : '?')),
  ]);
  assert.equal(summary(`outbound|9080||${REVIEWS}`), [['z1', 1, ['10.0.0.1:8080']], ['z2', 2, ['10.0.0.2:8080', '10.0.0.3:8080']]]);
  assert.equal(summary(`outbound|9080|v1|${REVIEWS}`), [['z1', 1, ['10.0.0.1:8080']]]);
  assert.equal(summary(`outbound|9080|v2|${REVIEWS}`), [['z2', 2, ['10.0.0.2:8080', '10.0.0.3:8080']]]);
});

test('GIVEN a Service without targetPort WHEN resolved THEN the endpoint uses the service port', () => {
  const set = translateProxy(buildProxyView(graphOf([svc('ratings', 'prod')]), client), workloads);
  const lb = set.endpoints.find((e) => e.clusterName === 'outbound|9080||ratings.prod.svc.cluster.local')!.endpoints[0]!.lbEndpoints[0]!;
  const sa = lb.hostIdentifier.case === 'endpoint' && lb.hostIdentifier.value.address?.address.case === 'socketAddress' ? lb.hostIdentifier.value.address.address.value : undefined;
  assert.equal([sa?.address, sa?.portSpecifier], ['10.0.0.9', { case: 'portValue', value: 9080 }]);
});

test('GIVEN malformed workload files WHEN parsed THEN the error names the entry, field and bad value (an unknown key with the nearest known one)', () => {
  const table: [string, RegExp][] = [
    ['{', /^w\.json: not valid JSON/],
    ['{"workloads":{}}', /w\.json: workloads: missing or not an array/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"host.example"}]}', /workloads\[0\]\.address: "host\.example" is not an IP address/],
    ['{"workloads":[{"name":"a","address":"10.0.0.1"}]}', /workloads\[0\]\.namespace: is undefined; expected a non-empty string/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","ports":{"http":70000}}]}', /workloads\[0\]\.ports\.http: is 70000; expected a port number/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","labels":{"x":1}}]}', /workloads\[0\]\.labels\.x: is 1; expected a string/],
    // An unknown key is named with the nearest known one, before the field it stands for is missed.
    ['{"workloads":[{"name":"a","namespace":"b","adress":"10.0.0.1"}]}', /^w\.json: workloads\[0\]\.adress: is not a known key \(did you mean "address"\?\); expected name, namespace, address, labels, ports, hostNetwork$/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","lables":{}}]}', /workloads\[0\]\.lables: is not a known key \(did you mean "labels"\?\)/],
    ['{"workload":[]}', /^w\.json: workload: is not a known key \(did you mean "workloads"\?\); expected workloads$/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","zzzzzzzzzz":1}]}', /workloads\[0\]\.zzzzzzzzzz: is not a known key; expected name, namespace, address, labels, ports, hostNetwork$/],
    // The same pod twice would be two endpoints of one pod: twice its share of every split.
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1"},{"name":"c","namespace":"b","address":"10.0.0.2"},{"name":"a","namespace":"b","address":"10.0.0.1"}]}', /^w\.json: workloads\[2\]: repeats workloads\[0\] \(b\/a at 10\.0\.0\.1\); list each pod address once/],
    // Two pods never share an IP: a second entry there would be the same endpoint twice, however spelt.
    ['{"workloads":[{"name":"a","namespace":"b","address":"fd00::1"},{"name":"c","namespace":"d","address":"FD00:0::1"}]}', /^w\.json: workloads\[1\]: d\/c has the address FD00:0::1 of workloads\[0\] \(b\/a\): two pods cannot share an IP/],
    // hostNetwork pods share their node's address, told apart by port: not both unmarked, not one port twice.
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1"},{"name":"c","namespace":"b","address":"10.0.0.1"}]}', /^w\.json: workloads\[1\]: b\/c has the address 10\.0\.0\.1 of workloads\[0\] \(b\/a\): two pods cannot share an IP.*; if both are pods on one node's network \(spec\.hostNetwork: true, the address being the node's\), mark each "hostNetwork": true$/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","hostNetwork":true},{"name":"c","namespace":"b","address":"10.0.0.1"}]}', /^w\.json: workloads\[1\]: b\/c has the address 10\.0\.0\.1 of workloads\[0\].*; workloads\[0\] is marked "hostNetwork": true, so if both run on the node's network mark the other too$/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","hostNetwork":true,"ports":{"http":8080}},{"name":"c","namespace":"d","address":"10.0.0.1","hostNetwork":true,"ports":{"web":8080}}]}', /^w\.json: workloads\[1\]\.ports\.web: is 8080, which workloads\[0\] \(b\/a, ports\.http\) also listens on at 10\.0\.0\.1: hostNetwork pods share their node's address and are told apart by port/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","hostNetwork":true},{"name":"a","namespace":"b","address":"10.0.0.1","hostNetwork":true}]}', /^w\.json: workloads\[1\]: repeats workloads\[0\]/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","hostNetwork":"yes"}]}', /^w\.json: workloads\[0\]\.hostNetwork: is "yes"; expected true/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"0.0.0.0"}]}', /^w\.json: workloads\[0\]\.address: "0\.0\.0\.0" is the unspecified IPv4 address .*which no pod has/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"0::0"}]}', /^w\.json: workloads\[0\]\.address: "0::0" is the unspecified IPv6 address/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"255.255.255.255"}]}', /^w\.json: workloads\[0\]\.address: "255\.255\.255\.255" is the IPv4 broadcast address/],
    // JSON.parse keeps the last of a repeated key: the first list (or value) would vanish silently.
    ['{"workloads":[],\n "workloads":[{"name":"a","namespace":"b","address":"10.0.0.1"}]}', /^w\.json: workloads: key "workloads" given twice in one object \(line 2, column 2; first at line 1\).*merge the two lists/],
    ['{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","labels":{"app":"x\\"},","app":"y"}}]}', /^w\.json: workloads\[0\]\.labels\.app: key "app" given twice/],
    // A byte-order mark anywhere but the start is named, not shown as an invisible "Unexpected token".
    ['{"workloads":[]}\n\ufeff', /^w\.json: not valid JSON: a byte-order mark \(U\+FEFF, bytes EF BB BF\) at line 2, column 1; .*remove it$/],
  ];
  for (const [text, re] of table) {
    const err = (() => { try { parseWorkloadFile(text, 'w.json'); } catch (e) { return e; } return undefined; })();
    assert.instance(err, WorkloadFileError, text);
    assert.match((err as Error).message, re);
  }
});

test('GIVEN a dual-stack pod (one name, an IPv4 and an IPv6 address) WHEN the workload file is parsed THEN both entries are kept', () => {
  const list = parseWorkloadFile('{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1"},{"name":"a","namespace":"b","address":"fd00::1"}]}', 'w.json');
  assert.equal(list.map((w) => w.address), ['10.0.0.1', 'fd00::1']);
});

test('GIVEN workload files a wrong one of which is refused (a repeated key, a shared address, a BOM) WHEN the right ones are parsed THEN they are accepted: a leading BOM as `check` accepts it, the same key in two objects, two pods at two addresses', () => {
  assert.is(parseWorkloadFile('\ufeff{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1"}]}', 'w.json').length, 1);
  const list = parseWorkloadFile('{"workloads":[{"name":"a","namespace":"b","address":"10.0.0.1","labels":{"app":"x","v":"1"}},{"name":"c","namespace":"b","address":"10.0.0.2","labels":{"app":"x","v":"2"}}]}', 'w.json');
  assert.equal(list.map((w) => `${w.name} ${w.address} ${w.labels.v}`), ['a 10.0.0.1 1', 'c 10.0.0.2 2']);
});

test('GIVEN two hostNetwork pods on one node (one address, "hostNetwork": true, distinct ports) WHEN parsed and resolved THEN both are kept and each Service gets its own pod at that address, on its port', () => {
  const list = parseWorkloadFile(JSON.stringify({
    workloads: [
      { name: 'node-exporter-x1', namespace: 'prod', address: '192.168.1.10', labels: { app: 'node-exporter' }, ports: { metrics: 9100 }, hostNetwork: true },
      { name: 'ratings-hostnet', namespace: 'prod', address: '192.168.1.10', labels: { app: 'ratings' }, ports: { http: 9080 }, hostNetwork: true },
      { name: 'reviews-v1-a', namespace: 'prod', address: '10.0.0.1', labels: { app: 'reviews', version: 'v1' }, ports: { http: 8080 }, hostNetwork: false },
    ],
  }), 'w.json');
  assert.equal(list.map((w) => [w.name, w.hostNetwork]), [['node-exporter-x1', true], ['ratings-hostnet', true], ['reviews-v1-a', undefined]]);
  const g = graphOf([svc('ratings', 'prod'), svc('node-exporter', 'prod', [{ port: 9100, name: 'metrics', targetPort: 'metrics' }])]);
  const set = translateProxy(buildProxyView(g, client), list);
  const endpointsOf = (name: string) => set.endpoints.find((e) => e.clusterName === name)!.endpoints.flatMap((l) => l.lbEndpoints.map((e) => (e.hostIdentifier.case === 'endpoint' && e.hostIdentifier.value.address?.address.case === 'socketAddress'
    ? `${e.hostIdentifier.value.address.address.value.address}:${e.hostIdentifier.value.address.address.value.portSpecifier.value}` : '?')));
  assert.equal(endpointsOf('outbound|9080||ratings.prod.svc.cluster.local'), ['192.168.1.10:9080']);
  assert.equal(endpointsOf('outbound|9100||node-exporter.prod.svc.cluster.local'), ['192.168.1.10:9100']);
});

test.run();
