/**
 * Path normalization (MeshConfig `pathNormalization`) on every HTTP connection manager we build
 * (sidecar outbound, inbound, gateway), and the reference proxy honouring it over real sockets: a
 * gateway with a DENY on `/admin*` refuses `/x/../admin` and `/%61dmin` over HTTP/1.1 and h2, and
 * the backend sees the normalized path.
 */
import * as http2 from 'node:http2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { DEFAULT_MESH_CONTEXT, meshConfigFrom } from '../../../src/mesh/mesh-config.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema, HttpConnectionManager_PathWithEscapedSlashesAction as Escaped } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { normalizeRequestPath } from '../../../src/proxy/path-normalize.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, gw, ns, route, svc, vs } from '../../mesh/view-fixtures.js';
import { get, startEcho, startTestProxy, startXds, until } from '../../proxy/_harness.js';

const DENY_ADMIN = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'block-admin', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] } };

function mesh(normalization?: string) {
  const objects = [
    ns('prod'),
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    deploy('web', 'prod', { app: 'web' }),
    svc('web', 'prod', [{ port: 8080, name: 'http' }]),
    gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] }]),
    vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [route('web')] }] }),
    DENY_ADMIN,
  ];
  const context = normalization === undefined ? undefined : { ...DEFAULT_MESH_CONTEXT, meshConfig: meshConfigFrom({ pathNormalization: { normalization } }) };
  return graphOf(objects, context ? { context } : undefined);
}

/** Every HCM of the listeners, as `<listener>#<chain index>`, decoded from the packed config. */
function hcms(listeners: readonly Listener[]): Map<string, HttpConnectionManager> {
  const out = new Map<string, HttpConnectionManager>();
  for (const l of listeners) l.filterChains.forEach((c, i) => {
    for (const f of c.filters) {
      if (f.configType.case !== 'typedConfig') continue;
      const hcm = anyUnpack(f.configType.value, HttpConnectionManagerSchema);
      if (hcm) out.set(`${l.name}#${i}`, fromBinary(HttpConnectionManagerSchema, toBinary(HttpConnectionManagerSchema, hcm)));
    }
  });
  return out;
}

function allHcms(normalization?: string): Map<string, HttpConnectionManager> {
  const g = mesh(normalization);
  const out = new Map<string, HttpConnectionManager>();
  for (const p of proxiesOf(g)) {
    for (const [k, v] of hcms(translateProxy(buildProxyView(g, p), []).listeners)) out.set(`${p.type}:${k}`, v);
  }
  return out;
}

test('GIVEN the default MeshConfig WHEN every proxy is translated THEN every HCM (gateway, sidecar outbound, inbound) has normalize_path and nothing more (BASE)', () => {
  const all = allHcms();
  const kinds = new Set([...all.keys()].map((k) => k.split(':')[0] + ':' + (k.includes('virtualInbound') ? 'inbound' : 'other')));
  assert.ok(kinds.has('router:other') && kinds.has('sidecar:other') && kinds.has('sidecar:inbound'), `gateway, outbound and inbound HCMs are present: ${[...all.keys()].join(', ')}`);
  for (const [k, h] of all) {
    assert.is(h.normalizePath, true, `${k} normalize_path`);
    assert.is(h.mergeSlashes, false, `${k} merge_slashes`);
    assert.is(h.pathWithEscapedSlashesAction, Escaped.IMPLEMENTATION_SPECIFIC_DEFAULT, `${k} escaped slashes`);
  }
});

test('GIVEN MeshConfig pathNormalization NONE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES WHEN translated THEN the HCM fields follow istiod', () => {
  for (const h of allHcms('NONE').values()) assert.equal([h.normalizePath, h.mergeSlashes], [false, false]);
  for (const h of allHcms('MERGE_SLASHES').values()) assert.equal([h.normalizePath, h.mergeSlashes, h.pathWithEscapedSlashesAction], [true, true, Escaped.IMPLEMENTATION_SPECIFIC_DEFAULT]);
  for (const h of allHcms('DECODE_AND_MERGE_SLASHES').values()) assert.equal([h.normalizePath, h.mergeSlashes, h.pathWithEscapedSlashesAction], [true, true, Escaped.UNESCAPE_AND_FORWARD]);
});

test('GIVEN request paths WHEN normalized as Envoy does THEN dot segments go, unreserved escapes decode, the query stays, and settings that are off change nothing', () => {
  const base = { normalizePath: true, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' } as const;
  const cases: [string, string][] = [
    ['/x/../admin', '/admin'], ['/%61dmin', '/admin'], ['/a/./b/../../admin?q=/../x', '/admin?q=/../x'],
    ['/%2e%2e/admin', '/admin'], ['/../../admin', '/admin'], ['/a\\..\\admin', '/admin'], ['/a/%2fb', '/a/%2fb'],
    ['/a//b', '/a//b'], ['/a/b/', '/a/b/'], ['/a/..', '/'], ['/bad%zz', '/bad%zz'], ['*', '*'],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeRequestPath(raw, base), { kind: 'forward', path: want }, raw);
  assert.equal(normalizeRequestPath('/x/../admin', { ...base, normalizePath: false }), { kind: 'forward', path: '/x/../admin' });
  assert.equal(normalizeRequestPath('/a//b', { ...base, mergeSlashes: true }), { kind: 'forward', path: '/a/b' });
  assert.equal(normalizeRequestPath('/a%2F..%2Fadmin', { ...base, mergeSlashes: true, escapedSlashes: 'UNESCAPE_AND_REDIRECT' }), { kind: 'redirect', path: '/admin' });
  assert.equal(normalizeRequestPath('/a%2Fb', { ...base, escapedSlashes: 'UNESCAPE_AND_REDIRECT' }, true).kind, 'reject');
  assert.equal(normalizeRequestPath('/a%5cb', { ...base, escapedSlashes: 'REJECT_REQUEST' }).kind, 'reject');
  assert.equal(normalizeRequestPath('/a%2Fb', { ...base, escapedSlashes: 'UNESCAPE_AND_FORWARD' }), { kind: 'forward', path: '/a/b' });
});

// Istio's own expectations per MeshConfig setting (tests/integration/pilot TestPathNormalization): [sent, backend sees].
const ISTIO_CASES: Record<'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES', [string, string][]> = {
  BASE: [
    ['/', '/'], ['/app#foo', '/app'], ['/app/', '/app/'], ['/app/../admin', '/admin'], ['/app//', '/app//'], ['/app/%2f', '/app/%2f'],
    ['/app%2f/', '/app%2f/'], ['/xyz%30..//abc', '/xyz0..//abc'], ['/app/%2E./admin', '/admin'], ['/app\\admin', '/app/admin'],
    ['/app/\\/\\/\\admin', '/app//////admin'], ['/%2Fapp%5cadmin%5Cabc', '/%2Fapp%5cadmin%5Cabc'],
    ['/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc', '/%5Capp%2f%5c%2F..%2fadmin%5c/abc'], ['/app//../admin', '/app/admin'], ['/app//../../admin', '/admin'],
  ],
  MERGE_SLASHES: [
    ['/app//', '/app/'], ['/xyz%30..//abc', '/xyz0../abc'], ['/app/\\/\\/\\admin', '/app/admin'], ['/app/%2f', '/app/%2f'],
    ['/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc', '/%5Capp%2f%5c%2F..%2fadmin%5c/abc'], ['/app//../../admin', '/admin'],
  ],
  DECODE_AND_MERGE_SLASHES: [
    ['/app/%2f', '/app/'], ['/app%2f/', '/app/'], ['/%2Fapp%5cadmin%5Cabc', '/app/admin/abc'], ['/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc', '/app/admin/abc'],
    ['/%c0%2e%c0%2e/admin', '/%c0.%c0./admin'], ['/%c0%2fadmin', '/%c0/admin'], ['/%252e%252e/admin', '/%252e%252e/admin'], ['/.../admin', '/.../admin'],
    ['/..;/admin', '/..;/admin'], ['/admin;a=b/xyz', '/admin;a=b/xyz'], ['/ADMIN', '/ADMIN'],
  ],
};

test('GIVEN the paths of Istio\'s path normalization test WHEN normalized with the HCM fields each MeshConfig setting translates to THEN the backend path is the one Istio expects; %00 is refused', () => {
  for (const [setting, cases] of Object.entries(ISTIO_CASES)) {
    const h = allHcms(setting).values().next().value!;
    const n = { normalizePath: h.normalizePath === true, mergeSlashes: h.mergeSlashes, escapedSlashes: h.pathWithEscapedSlashesAction === Escaped.UNESCAPE_AND_FORWARD ? 'UNESCAPE_AND_FORWARD' as const : 'KEEP_UNCHANGED' as const };
    for (const [sent, seen] of cases) assert.equal(normalizeRequestPath(sent, n), { kind: 'forward', path: seen }, `${setting} ${sent}`);
  }
  assert.equal(normalizeRequestPath('/admin%00', { normalizePath: true, mergeSlashes: true, escapedSlashes: 'UNESCAPE_AND_FORWARD' }).kind, 'reject');
});

function h2get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', reject);
    const r = s.request({ ':path': path, ':method': 'GET', ':authority': 'shop.example.com' });
    let status = 0;
    r.on('response', (h) => { status = Number(h[':status']); });
    r.resume();
    r.on('end', () => { s.close(); resolve(status); });
    r.on('error', (e) => { s.close(); reject(e); });
  });
}

async function gatewayRun(normalization: string | undefined, body: (port: number, backend: Awaited<ReturnType<typeof startEcho>>) => Promise<void>): Promise<void> {
  const web = await startEcho('web');
  const cleanups: (() => unknown)[] = [() => web.close()];
  try {
    const g = mesh(normalization);
    const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), [
      { name: 'web-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'web' }, ports: { http: web.port } },
    ]);
    for (const l of set.listeners) {
      const a = l.address!.address;
      if (a.case === 'socketAddress') { a.value.address = '127.0.0.1'; a.value.portSpecifier = { case: 'portValue', value: 0 }; }
    }
    const xds = await startXds(set);
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    await body(proxy.listenerAddress('0.0.0.0_80')!.port, web);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

test('GIVEN a gateway with a DENY on /admin* WHEN /x/../admin and /%61dmin arrive over HTTP/1.1 and h2 THEN both are refused 403, and an allowed dotted path reaches the backend normalized', async () => {
  await gatewayRun(undefined, async (port, web) => {
    const host = { host: 'shop.example.com' };
    assert.is((await get(port, '/admin', host)).status, 403);
    assert.is((await get(port, '/x/../admin', host)).status, 403, 'HTTP/1.1 /x/../admin');
    assert.is((await get(port, '/%61dmin', host)).status, 403, 'HTTP/1.1 /%61dmin');
    assert.is(await h2get(port, '/x/../admin'), 403, 'h2 /x/../admin');
    assert.is(await h2get(port, '/%61dmin'), 403, 'h2 /%61dmin');
    assert.is(web.received.length, 0, 'no denied request reached the backend');
    assert.is((await get(port, '/x/../%63art?a=/../b', host)).status, 200);
    assert.is(web.received[0]?.url, '/cart?a=/../b', 'the backend receives the normalized path, query untouched');
  });
});

test('GIVEN MeshConfig pathNormalization NONE WHEN /x/../admin arrives at the gateway THEN it passes unchanged (the setting, not the proxy, decides)', async () => {
  await gatewayRun('NONE', async (port, web) => {
    assert.is((await get(port, '/x/../admin', { host: 'shop.example.com' })).status, 200);
    assert.is(web.received[0]?.url, '/x/../admin');
  });
});

test.run();
