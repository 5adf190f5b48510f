/**
 * The one definition of "this ALLOW rule matches every request" (src/validate/authorization.ts),
 * on plain data as YAML has it; the construct guard and security/allow-everything both call it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  allowRuleMatchesEverything, ipBlocksCoverAll, parseIpBlock, selectedWorkloadPorts, workloadPortsOf,
} from '../../src/validate/authorization.js';

const open = (rule: unknown, ports?: number[]) => allowRuleMatchesEverything(rule, { workloadPorts: () => ports });

test('GIVEN IP blocks in Go netip forms WHEN parsed THEN valid ones give ranges and invalid ones null', () => {
  assert.equal(parseIpBlock('10.0.0.1/8'), { family: 4, start: 0x0a000000n, end: 0x0affffffn });
  assert.equal(parseIpBlock('192.168.1.7'), { family: 4, start: 0xc0a80107n, end: 0xc0a80107n });
  assert.equal(parseIpBlock('::/0'), { family: 6, start: 0n, end: (1n << 128n) - 1n });
  assert.ok(parseIpBlock('2001:db8::/32'));
  assert.ok(parseIpBlock('::ffff:10.0.0.1'));
  for (const bad of ['', '10.0.0.0/33', '10.0.0', '010.0.0.1', '256.0.0.1', '10.0.0.0/08', '1::2::3', '::/129', 'a.b.c.d', '10.0.0.0/', '1:2:3:4:5:6:7:8:9']) {
    assert.is(parseIpBlock(bad), null, bad);
  }
});

test('GIVEN an IPv6 zone WHEN parsed THEN accepted on an address and refused on a prefix, as Go netip.ParseAddr and ParsePrefix do', () => {
  for (const zoned of ['fe80::1%eth0', 'fe80::1%25', 'fe80::1%en0.100', '::ffff:10.0.0.1%x']) {
    assert.equal(parseIpBlock(zoned), parseIpBlock(zoned.slice(0, zoned.indexOf('%'))), zoned);
  }
  // ParsePrefix: "IPv6 zones cannot be present in a prefix"; ParseAddr: "zone must be a non-empty string"; IPv4 has no zone.
  for (const bad of ['fe80::1%eth0/64', 'fe80::1%', '10.0.0.1%eth0', '%eth0', 'fe80::1%eth0/']) {
    assert.is(parseIpBlock(bad), null, bad);
  }
});

test('GIVEN sets of CIDRs WHEN coverage is asked THEN only a union of all IPv4 or all IPv6 covers all', () => {
  assert.ok(ipBlocksCoverAll(['0.0.0.0/0']));
  assert.ok(ipBlocksCoverAll(['128.0.0.0/1', '0.0.0.0/2', '64.0.0.0/2']));
  assert.ok(ipBlocksCoverAll(['::/1', '8000::/1']));
  assert.not.ok(ipBlocksCoverAll(['0.0.0.0/1', '128.0.0.0/2']));
  assert.not.ok(ipBlocksCoverAll(['0.0.0.0/1', '::/1']));
  assert.not.ok(ipBlocksCoverAll(['not-an-ip', '10.0.0.0/8']));
});

test('GIVEN a rule with a when condition or a real restriction WHEN decided THEN it does not match everything', () => {
  assert.is(open({ when: [{ key: 'request.headers[x]', values: ['*'] }] }), null);
  assert.is(open({ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }] }), null);
  assert.is(open({ to: [{ operation: { notMethods: ['DELETE'] } }] }), null);
  assert.is(open({ to: [{ operation: { notPorts: ['9090'] } }] }), null);
  assert.is(open({ to: [{ operation: { notPaths: ['/*'] } }] }), null, 'excluding every path matches nothing');
  assert.is(open({ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }), null);
  assert.is(open({ from: [{ source: { unknownField: ['x'] } }] }), null, 'an unknown field is not assumed open');
  assert.is(open('not a rule'), null);
  assert.is(open({ from: 'x' }), null);
});

test('GIVEN open rules WHEN decided THEN the reason and the open fields are given', () => {
  assert.equal(open({}), { because: 'has no from, to or when', fields: [] });
  assert.equal(open({ from: [], to: [], when: [] })?.because, 'has no from, to or when');
  const notHosts = open({ to: [{ operation: { notHosts: ['admin.example.com'] } }] });
  assert.equal(notHosts?.fields, [{ path: 'to[0].operation.notHosts', values: ['admin.example.com'], kind: 'exclusion' }]);
  assert.ok(open({ from: [{ source: { principals: ['a'] } }, { source: { requestPrincipals: ['*'] } }] }), 'one open from entry is enough');
  assert.ok(open({ from: [{ source: { notRemoteIpBlocks: ['1.2.3.4'] } }], to: [{ operation: { hosts: ['*'], paths: ['*'] } }] }));
});

test('GIVEN to.ports WHEN the selected workloads\' ports are known, partial or unknown THEN only a full cover matches everything', () => {
  const rule = { to: [{ operation: { ports: ['8080', '9090'] } }] };
  assert.equal(open(rule, [8080, 9090])?.fields.map((f) => f.kind), ['all-ports']);
  assert.is(open(rule, [8080, 9090, 15090]), null);
  assert.is(open(rule, undefined), null);
  assert.is(open(rule, []), null);
  assert.ok(open({ to: [{ operation: { ports: [8080] } }] }, [8080]), 'numeric ports (construct input) count too');
});

test('GIVEN workload manifests WHEN selected by namespace and labels THEN their container ports are unioned, undefined when unknowable', () => {
  const dep = (ns: string, app: string, ports: number[]) => workloadPortsOf({
    kind: 'Deployment', metadata: { namespace: ns },
    spec: { template: { metadata: { labels: { app } }, spec: { containers: [{ ports: ports.map((containerPort) => ({ containerPort })) }] } } },
  })!;
  const all = [dep('shop', 'cart', [8080]), dep('shop', 'cart', [9090]), dep('shop', 'web', []), dep('other', 'cart', [7070])];
  assert.equal(selectedWorkloadPorts(all, 'shop', { app: 'cart' }), [8080, 9090]);
  assert.equal(selectedWorkloadPorts(all, null, { app: 'cart' }), [7070, 8080, 9090]);
  assert.is(selectedWorkloadPorts(all, 'shop', undefined), undefined, 'web declares no ports');
  assert.is(selectedWorkloadPorts(all, 'none', undefined), undefined);
  assert.is(workloadPortsOf({ kind: 'Service' }), null);
  assert.is(workloadPortsOf({ kind: 'constructor' }), null);
});

test.run();
