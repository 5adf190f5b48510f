/** Filter chain selection in Envoy's precedence order, as a table; the ClientHello and HTTP peeks on real sockets. */
import { create, fromJson } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ListenerSchema, type ListenerJson } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { checkFilterChains, type ConnectionMatchInput, MAX_FILTER_CHAIN_COMBINATIONS, selectFilterChain } from '../../../src/proxy/filter-chain-match.js';
import { compileListener } from '../../../src/proxy/config/listener-config.js';
import { ConfigError } from '../../../src/proxy/config/config-error.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { NetworkEnv } from '../../../src/proxy/http/pipeline.js';
import { TcpProxySchema } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { parseClientHello } from '../../../src/proxy/tls/client-hello.js';
import { sniffHttp } from '../../../src/proxy/tcp/http-sniff.js';
import { inspectConnection } from '../../../src/proxy/tcp/inspect.js';

const listener = (chains: Array<{ name: string; match?: Record<string, unknown> }>, dflt?: string) =>
  fromJson(ListenerSchema, { name: 'l', filterChains: chains.map((c) => ({ name: c.name, ...(c.match ? { filterChainMatch: c.match } : {}) })), ...(dflt ? { defaultFilterChain: { name: dflt } } : {}) } as ListenerJson);
const conn = (x: Partial<ConnectionMatchInput> = {}): ConnectionMatchInput => ({ destinationAddress: '10.0.0.1', destinationPort: 15006, sourceAddress: '10.0.0.2', sourcePort: 40000, ...x });

const table: Array<{ name: string; chains: Array<{ name: string; match?: Record<string, unknown> }>; dflt?: string; input: ConnectionMatchInput; want: string | undefined }> = [
  { name: 'specific destination_port beats port-less', chains: [{ name: 'any' }, { name: 'p', match: { destinationPort: 15006 } }], input: conn(), want: 'p' },
  { name: 'port with chains but no deeper match gets the default chain, not port-less chains', chains: [{ name: 'any' }, { name: 'p', match: { destinationPort: 15006, transportProtocol: 'tls' } }], dflt: 'default', input: conn(), want: 'default' },
  { name: 'no chain and no default: none (connection closed)', chains: [{ name: 'tls', match: { transportProtocol: 'tls' } }], input: conn(), want: undefined },
  { name: 'most specific destination prefix', chains: [{ name: 'wide', match: { prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: 8 }] } }, { name: 'narrow', match: { prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: 24 }] } }], input: conn(), want: 'narrow' },
  { name: 'prefix ranges of another family miss; catch-all chain taken', chains: [{ name: 'v6', match: { prefixRanges: [{ addressPrefix: '::', prefixLen: 0 }] } }, { name: 'any' }], input: conn(), want: 'any' },
  { name: 'exact server name beats wildcard', chains: [{ name: 'wild', match: { serverNames: ['*.example.com'] } }, { name: 'exact', match: { serverNames: ['api.example.com'] } }], input: conn({ serverName: 'api.example.com', transportProtocol: 'tls' }), want: 'exact' },
  { name: 'wildcard matches several labels, longest suffix first', chains: [{ name: 'com', match: { serverNames: ['*.com'] } }, { name: 'example', match: { serverNames: ['*.example.com'] } }], input: conn({ serverName: 'a.b.example.com' }), want: 'example' },
  { name: 'wildcard does not match the bare domain', chains: [{ name: 'wild', match: { serverNames: ['*.example.com'] } }, { name: 'none' }], input: conn({ serverName: 'example.com' }), want: 'none' },
  { name: 'server names compare case-insensitively (Envoy lower-cases both): an upper-case Gateway host matches a lower-case SNI', chains: [{ name: 'pay', match: { serverNames: ['Pay.Example.com'] } }, { name: 'other' }], input: conn({ serverName: 'pay.example.com', transportProtocol: 'tls' }), want: 'pay' },
  { name: 'an upper-case wildcard server name matches a mixed-case SNI', chains: [{ name: 'wild', match: { serverNames: ['*.EXAMPLE.com'] } }, { name: 'other' }], input: conn({ serverName: 'Api.Example.COM', transportProtocol: 'tls' }), want: 'wild' },
  { name: 'no SNI takes the chain without server names', chains: [{ name: 'sni', match: { serverNames: ['a.com'] } }, { name: 'plain' }], input: conn(), want: 'plain' },
  { name: 'SNI matched, deeper level fails: no backtracking to the catch-all', chains: [{ name: 'sni-raw', match: { serverNames: ['a.com'], transportProtocol: 'raw_buffer' } }, { name: 'catch' }], input: conn({ serverName: 'a.com', transportProtocol: 'tls' }), want: undefined },
  { name: 'STRICT: only a tls chain; plaintext finds nothing', chains: [{ name: 'mtls', match: { transportProtocol: 'tls' } }], input: conn(), want: undefined },
  { name: 'PERMISSIVE: tls goes to the tls chain', chains: [{ name: 'mtls', match: { transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio'] } }, { name: 'plain', match: { transportProtocol: 'raw_buffer' } }], input: conn({ transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio', 'h2'] }), want: 'mtls' },
  { name: 'PERMISSIVE: plaintext goes to the raw_buffer chain', chains: [{ name: 'mtls', match: { transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio'] } }, { name: 'plain', match: { transportProtocol: 'raw_buffer' } }], input: conn(), want: 'plain' },
  { name: 'first offered ALPN some chain names wins', chains: [{ name: 'h2', match: { applicationProtocols: ['h2'] } }, { name: 'h1', match: { applicationProtocols: ['http/1.1'] } }], input: conn({ applicationProtocols: ['http/1.1', 'h2'] }), want: 'h1' },
  { name: 'loopback source prefers SAME_IP_OR_LOOPBACK', chains: [{ name: 'any' }, { name: 'local', match: { sourceType: 'SAME_IP_OR_LOOPBACK' } }], input: conn({ sourceAddress: '127.0.0.1' }), want: 'local' },
  { name: 'external source skips SAME_IP_OR_LOOPBACK', chains: [{ name: 'any' }, { name: 'local', match: { sourceType: 'SAME_IP_OR_LOOPBACK' } }], input: conn(), want: 'any' },
  { name: 'same IP as destination counts as local', chains: [{ name: 'ext', match: { sourceType: 'EXTERNAL' } }, { name: 'any' }], input: conn({ sourceAddress: '10.0.0.1' }), want: 'any' },
  { name: 'most specific source prefix, then source port', chains: [{ name: 'src', match: { sourcePrefixRanges: [{ addressPrefix: '10.0.0.2', prefixLen: 32 }] } }, { name: 'srcport', match: { sourcePrefixRanges: [{ addressPrefix: '10.0.0.2', prefixLen: 32 }], sourcePorts: [40000] } }], input: conn(), want: 'srcport' },
  { name: 'direct source prefix', chains: [{ name: 'd', match: { directSourcePrefixRanges: [{ addressPrefix: '192.168.0.0', prefixLen: 16 }] } }, { name: 'other' }], input: conn({ directSourceAddress: '192.168.1.1' }), want: 'd' },
];

for (const c of table) {
  test(`GIVEN ${c.name} WHEN a connection arrives THEN chain ${c.want ?? '(none)'}`, () => {
    assert.is(selectFilterChain(listener(c.chains, c.dflt), c.input)?.name, c.want);
  });
}

test('GIVEN overlapping chains, a bad CIDR and a mid-name wildcard WHEN checked THEN each is named; a clean listener has none', () => {
  const errs = checkFilterChains(listener([
    { name: 'a', match: { serverNames: ['x.com', 'y.com'] } }, { name: 'b', match: { serverNames: ['y.com'] } },
    { name: 'c', match: { prefixRanges: [{ addressPrefix: 'nope', prefixLen: 8 }] } }, { name: 'd', match: { serverNames: ['a.*.com'] } },
  ]));
  assert.is(errs.length, 3, errs.join('\n'));
  assert.match(errs[0]!, /filter_chains\[1\] \(b\)\.filter_chain_match: overlaps filter_chains\[0\]/);
  assert.match(errs[1]!, /filter_chains\[2\] \(c\)\.filter_chain_match\.prefix_ranges\[0\]: address_prefix "nope"/);
  assert.match(errs[2]!, /server_names\[0\]: "a\.\*\.com" is not a server name/);
  assert.equal(checkFilterChains(listener([{ name: 'tls', match: { transportProtocol: 'tls' } }, { name: 'raw', match: { transportProtocol: 'raw_buffer' } }])), []);
  // Envoy stores server names in lower case, so two spellings of one name overlap.
  const cased = checkFilterChains(listener([{ name: 'upper', match: { serverNames: ['Pay.Example.com'] } }, { name: 'lower', match: { serverNames: ['pay.example.com'] } }]));
  assert.is(cased.length, 1, cased.join('\n'));
  assert.match(cased[0]!, /filter_chains\[1\] \(lower\)\.filter_chain_match: overlaps filter_chains\[0\]/);
});

test('GIVEN one chain listing a server name twice (in two letter cases) WHEN checked THEN it is refused as Envoy refuses it; distinct names in one chain are fine', () => {
  const twice = checkFilterChains(listener([{ name: 'pay', match: { serverNames: ['pay.example.com', 'Pay.Example.com'] } }]));
  assert.is(twice.length, 1, twice.join('\n'));
  assert.match(twice[0]!, /filter_chains\[0\] \(pay\)\.filter_chain_match: lists one match twice .*remove the repeated value/);
  assert.equal(checkFilterChains(listener([{ name: 'pay', match: { serverNames: ['pay.example.com', 'shop.example.com'] } }])), []);
});

test('GIVEN matches Envoy keys alike though written differently WHEN checked THEN they overlap as in Envoy\'s match tree', () => {
  const overlaps = (a: Record<string, unknown>, b: Record<string, unknown>) => checkFilterChains(listener([{ name: 'a', match: a }, { name: 'b', match: b }]));
  // CidrRange::asString() clears host bits and clamps the length: 10.0.0.1/8 is 10.0.0.0/8, 10.0.0.1/40 is 10.0.0.1/32.
  assert.match(overlaps({ prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: 8 }] }, { prefixRanges: [{ addressPrefix: '10.0.0.1', prefixLen: 8 }] })[0] ?? '', /filter_chains\[1\] \(b\)\.filter_chain_match: overlaps filter_chains\[0\] \(same 0 \| 10\.0\.0\.0\/8 /);
  assert.is(overlaps({ sourcePrefixRanges: [{ addressPrefix: '10.0.0.1', prefixLen: 40 }] }, { sourcePrefixRanges: [{ addressPrefix: '10.0.0.1', prefixLen: 32 }] }).length, 1);
  assert.is(overlaps({ directSourcePrefixRanges: [{ addressPrefix: '2001:db8::', prefixLen: 32 }] }, { directSourcePrefixRanges: [{ addressPrefix: '2001:0db8:0:0::1', prefixLen: 32 }] }).length, 1);
  // An IPv4-mapped IPv6 range is an IPv6 range to Envoy, not the IPv4 one.
  assert.equal(overlaps({ prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: 8 }] }, { prefixRanges: [{ addressPrefix: '::ffff:10.0.0.0', prefixLen: 104 }] }), []);
  // `*.example.com` is stored as `.example.com`; no source_ports is source port 0.
  assert.is(overlaps({ serverNames: ['*.example.com'] }, { serverNames: ['.example.com'] }).length, 1);
  assert.is(overlaps({}, { sourcePorts: [0] }).length, 1);
  assert.equal(overlaps({ prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: 8 }] }, { prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: 16 }] }), []);
});

test('GIVEN server names and match fields at the edge of what Envoy accepts WHEN checked THEN only what Envoy refuses is refused', () => {
  // isWildcardServerName only asks for a leading "*.": a later "*" is kept as a literal suffix.
  assert.equal(checkFilterChains(listener([{ name: 'w', match: { serverNames: ['*.*.example.com'] } }])), []);
  assert.match(checkFilterChains(listener([{ name: 'w', match: { serverNames: ['*example.com'] } }]))[0] ?? '', /server_names\[0\]: "\*example\.com" is not a server name/);
  const suffix = checkFilterChains(listener([{ name: 's', match: { addressSuffix: '::1' } }]));
  assert.is(suffix.length, 1, suffix.join('\n'));
  assert.match(suffix[0]!, /filter_chains\[0\] \(s\)\.filter_chain_match\.address_suffix: .*unimplemented fields/);
  assert.match(checkFilterChains(listener([{ name: 's', match: { suffixLen: 64 } }]))[0] ?? '', /\.suffix_len: /);
});

test('GIVEN a listener whose chains spell out more match combinations than the bound WHEN checked THEN it is refused without building them', () => {
  const ports = Array.from({ length: 400 }, (_, i) => 1000 + i);
  const names = Array.from({ length: 300 }, (_, i) => `h${i}.example.com`);
  const errs = checkFilterChains(listener([{ name: 'huge', match: { serverNames: names, sourcePorts: ports } }]));
  assert.is(errs.length, 1, errs.join('\n'));
  assert.match(errs[0]!, new RegExp(`more than ${MAX_FILTER_CHAIN_COMBINATIONS.toLocaleString('en-US')} match combinations`));
});

test('GIVEN LDS with overlapping filter chains WHEN the proxy compiles the Listener THEN it refuses it naming the chain (the NACK Envoy sends), and accepts the chains apart', () => {
  const tcpProxy = (cluster: string) => ({ name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig' as const, value: anyPack(TcpProxySchema, create(TcpProxySchema, { statPrefix: cluster, clusterSpecifier: { case: 'cluster', value: cluster } })) } });
  const l = create(ListenerSchema, {
    name: '0.0.0.0_443', address: { address: { case: 'socketAddress', value: { address: '127.0.0.1', portSpecifier: { case: 'portValue', value: 0 } } } },
    filterChains: [
      { name: 'upper', filterChainMatch: { serverNames: ['Pay.Example.com'] }, filters: [tcpProxy('a')] },
      { name: 'lower', filterChainMatch: { serverNames: ['pay.example.com'] }, filters: [tcpProxy('b')] },
    ],
  });
  const ext = createExtensions();
  const env: NetworkEnv = { hosts: () => undefined, cluster: () => undefined, choose: () => undefined, http: { send: () => Promise.reject(new Error('unused')) } };
  assert.throws(() => compileListener(l, ext, env), (e: unknown) => e instanceof ConfigError && /^filter_chains\[1\] \(lower\)\.filter_chain_match: overlaps filter_chains\[0\]/.test(e.message));
  l.filterChains[1]!.filterChainMatch!.serverNames = ['shop.example.com'];
  assert.is(compileListener(l, ext, env).chains.length, 2);
});

/** The bytes a real node:tls client sends first, split to exercise reassembly. */
async function captureClientHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const got = new Promise<Buffer>((resolve) => srv.once('connection', (s) => s.once('data', (d: Buffer) => { resolve(d); s.destroy(); })));
    const c = tls.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, ...opts });
    c.on('error', () => {});
    const hello = await got;
    c.destroy();
    return hello;
  } finally { srv.close(); }
}

test('GIVEN a real ClientHello WHEN parsed whole and byte by byte THEN SNI (lower case) and ALPN; not TLS and truncated input said so', async () => {
  const hello = await captureClientHello({ servername: 'API.Example.com', ALPNProtocols: ['istio-peer-exchange', 'h2'] });
  assert.equal(parseClientHello(hello), { kind: 'tls', serverName: 'api.example.com', alpn: ['istio-peer-exchange', 'h2'] });
  assert.equal(parseClientHello(hello.subarray(0, 20)), { kind: 'need-more' });
  assert.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { kind: 'not-tls' });
  // The same hello split over two TLS records is reassembled.
  const body = hello.subarray(5);
  const rec = (b: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
  const split = Buffer.concat([rec(body.subarray(0, 30)), rec(body.subarray(30))]);
  assert.equal(parseClientHello(split), { kind: 'tls', serverName: 'api.example.com', alpn: ['istio-peer-exchange', 'h2'] });
  const noSni = await captureClientHello({ servername: '' });
  assert.equal(parseClientHello(noSni), { kind: 'tls', serverName: '', alpn: [] });
  assert.equal(parseClientHello(hello, 100), { kind: 'too-large' });
});

test('GIVEN plaintext first bytes WHEN sniffed THEN http/1.1, http/1.0, h2c, not HTTP, or need-more', () => {
  assert.equal(sniffHttp(Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\n')), ['http/1.1']);
  assert.equal(sniffHttp(Buffer.from('POST /x HTTP/1.0\r\n')), ['http/1.0']);
  assert.equal(sniffHttp(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), ['h2c']);
  assert.is(sniffHttp(Buffer.from('PRI * HT')), 'need-more');
  assert.is(sniffHttp(Buffer.from('GET /x HT')), 'need-more');
  assert.equal(sniffHttp(Buffer.from('\x00\x01binary')), []);
  assert.equal(sniffHttp(Buffer.from('SSH-2.0-OpenSSH\r\n')), []);
});

test('GIVEN a TLS client and a plaintext client on real sockets WHEN inspected THEN each is classified and the bytes still reach the server', async () => {
  const seen: Array<{ tp: string; sni: string; first: number }> = [];
  const srv = net.createServer((s) => {
    inspectConnection(s, { tls: true, http: true }).then((r) => {
      s.once('data', (d: Buffer) => { seen.push({ tp: r.transportProtocol, sni: r.serverName, first: d[0]! }); s.destroy(); });
    }, () => s.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    const t = tls.connect({ host: '127.0.0.1', port, servername: 'svc.example' });
    t.on('error', () => {});
    const p = net.connect(port, '127.0.0.1', () => p.write('GET / HTTP/1.1\r\n\r\n'));
    p.on('error', () => {});
    const t0 = Date.now();
    while (seen.length < 2 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10));
    t.destroy(); p.destroy();
    const sorted = seen.sort((a, b) => a.tp.localeCompare(b.tp));
    assert.equal(sorted, [{ tp: 'raw_buffer', sni: '', first: 'G'.charCodeAt(0) }, { tp: 'tls', sni: 'svc.example', first: 0x16 }]);
  } finally { srv.close(); }
});

test('GIVEN a client that sends nothing WHEN the listener filters time out THEN rejected, or raw_buffer when continuing', async () => {
  const results: string[] = [];
  const srv = net.createServer((s) => {
    const continueOnTimeout = results.length > 0;
    inspectConnection(s, { tls: true, http: false, timeoutMs: 50, continueOnTimeout }).then((r) => { results.push(r.transportProtocol); s.destroy(); }, (e: Error) => { results.push(e.message); s.destroy(); });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    for (let i = 0; i < 2; i++) {
      const c = net.connect(port, '127.0.0.1');
      await new Promise((r) => c.once('close', r));
    }
    assert.match(results[0]!, /timed out after 50 ms/);
    assert.is(results[1], 'raw_buffer');
  } finally { srv.close(); }
});

test.run();
