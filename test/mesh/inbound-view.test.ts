import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MESH_CONTEXT } from '../../src/mesh/mesh-config.js';
import { buildProxyView, describeProxy, inboundPortIsTcp, inboundPortProtocols, replaceTrustDomainAliases, type AuthzMatchView, type InboundView } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { svc } from './view-fixtures.js';

type Obj = Record<string, unknown>;
const NS = 'shop';
const ROOT = 'istio-system';
const proxy = describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart', version: 'v1' }, serviceAccount: 'cart' });

const workload = (ports: Obj[] = [{ containerPort: 8080, name: 'web' }, { containerPort: 9000, name: 'grpc' }]): Obj => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
  spec: { template: { metadata: { labels: { app: 'cart', version: 'v1' } }, spec: { serviceAccountName: 'cart', containers: [{ name: 'app', ports }] } } },
});
const cartSvc = svc('cart', NS, [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'grpc', port: 9090, targetPort: 'grpc' }]);
const pa = (name: string, namespace: string, spec: Obj): Obj => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec });
const ap = (name: string, namespace: string, spec: Obj, annotations: Record<string, string> = {}): Obj =>
  ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace, annotations }, spec });
const sel = (labels: Record<string, string>) => ({ selector: { matchLabels: labels } });

function inbound(objects: Obj[], context = DEFAULT_MESH_CONTEXT): InboundView {
  const v = buildProxyView(graphOf([workload(), cartSvc, ...objects], { context }), proxy);
  assert.ok(v.inbound, 'a sidecar has an inbound view');
  return v.inbound!;
}

test('GIVEN Services selecting the workload WHEN viewed THEN inbound ports are container ports (numeric and named targetPort), with protocol and every Service port', () => {
  const other = svc('storefront', NS, [{ name: 'tcp-admin', port: 7000, targetPort: 8080 }, { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }]);
  (other.spec as Obj).selector = { app: 'cart' };
  const v = inbound([other]);
  assert.equal(v.ports.map((p) => [p.port, p.protocol, p.services.map((s) => `${s.host}:${s.port}`)]), [
    [8080, 'HTTP', ['cart.shop.svc.cluster.local:80', 'storefront.shop.svc.cluster.local:7000']],
    [9000, 'GRPC', ['cart.shop.svc.cluster.local:9090']],
  ]);
  assert.equal(v.ports[1]!.services[0]!.origin.path, ['spec', 'ports', 1]);
  assert.equal(v.problems, []);
});

const entry = (name: string, hosts: string[], ports: Obj[], spec: Obj = {}, meta: Obj = {}): Obj => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: NS, ...meta },
  spec: { hosts, location: 'MESH_INTERNAL', resolution: 'STATIC', workloadSelector: { labels: { app: 'cart' } }, ports, ...spec },
});
const portsOf = (v: InboundView) => v.ports.map((p) => [p.port, p.protocol, p.services.map((s) => `${s.origin.ref.kind}/${s.host}:${s.port}`)]);

test('GIVEN a ServiceEntry whose workloadSelector picks the pod and no Service WHEN viewed THEN its ports are inbound ports: targetPort, else a TCP container port named like the entry port, else the number', () => {
  const pod = workload([{ containerPort: 8080, name: 'web' }, { containerPort: 9000, name: 'grpc' }, { containerPort: 5354, name: 'tcp-udp-only', protocol: 'UDP' }]);
  const objects = [pod,
    entry('cart-vm', ['cart.internal', 'cart.example.org'], [
      { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }, // targetPort
      { number: 9090, name: 'grpc', protocol: 'GRPC', targetPort: 7000 }, // container port "grpc" (pod port map) beats targetPort
      { number: 5353, name: 'tcp-udp-only', protocol: 'TCP' }, // a UDP container port is not in the port map: the number
      { number: 6000, name: 'tcp-raw' }, // no protocol: sniffed, on the number
      { number: 53, name: 'dns', protocol: 'UDP' },
    ]),
    entry('other-pods', ['other.internal'], [{ number: 81, name: 'http' }], { workloadSelector: { labels: { app: 'other' } } }),
    { ...entry('elsewhere', ['cart.elsewhere'], [{ number: 82, name: 'http' }]), metadata: { name: 'elsewhere', namespace: 'web' } },
    entry('no-selector', ['cart.static'], [{ number: 83, name: 'http' }], { workloadSelector: undefined }),
  ];
  const v = buildProxyView(graphOf(objects), proxy).inbound!;
  // Each host of the entry is a service of its own; ties in creation time are broken by hostname.
  assert.equal(portsOf(v), [
    [5353, 'TCP', ['ServiceEntry/cart.example.org:5353', 'ServiceEntry/cart.internal:5353']],
    [6000, 'UnsupportedProtocol', ['ServiceEntry/cart.example.org:6000', 'ServiceEntry/cart.internal:6000']],
    [8080, 'HTTP', ['ServiceEntry/cart.example.org:80', 'ServiceEntry/cart.internal:80']],
    [9000, 'GRPC', ['ServiceEntry/cart.example.org:9090', 'ServiceEntry/cart.internal:9090']],
  ]);
  assert.equal(v.ports[3]!.services[0]!.origin.path, ['spec', 'ports', 1]);
  assert.equal(v.ports[1]!.sniffed, true);
  assert.equal(v.problems, []);
});

test('GIVEN a WorkloadEntry (VM) a ServiceEntry selects WHEN its sidecar is viewed THEN the WorkloadEntry ports map wins over targetPort, by entry port name', () => {
  const vm: Obj = { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'cart-vm', namespace: NS }, spec: { address: '10.0.0.7', labels: { app: 'cart' }, ports: { http: 8081 } } };
  const vmProxy = describeProxy({ name: 'cart-vm', namespace: NS, labels: { app: 'cart' } });
  const e = entry('cart-vm', ['cart.internal'], [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }, { number: 9090, name: 'grpc', protocol: 'GRPC', targetPort: 7000 }]);
  const v = buildProxyView(graphOf([vm, e]), vmProxy).inbound!;
  assert.equal(portsOf(v), [[7000, 'GRPC', ['ServiceEntry/cart.internal:9090']], [8081, 'HTTP', ['ServiceEntry/cart.internal:80']]]);
});

test('GIVEN a Service and a ServiceEntry sending to one container port WHEN viewed THEN istiod\'s order decides its protocol: older creationTimestamp, then hostname, then the Kubernetes registry', () => {
  const tcpEntry = (host: string, meta: Obj = {}) => entry('cart-tcp', [host], [{ number: 7000, name: 'tcp', protocol: 'TCP', targetPort: 8080 }], {}, meta);
  const svcAt = (ts?: string) => ts === undefined ? cartSvc : { ...cartSvc, metadata: { ...(cartSvc.metadata as Obj), creationTimestamp: ts } };
  const table: [string, Obj[], string, string[]][] = [
    ['no timestamps: the hostname sorting first', [tcpEntry('a-cart.internal'), svcAt()], 'TCP', ['ServiceEntry/a-cart.internal:7000', 'Service/cart.shop.svc.cluster.local:80']],
    ['no timestamps, the Service host first', [tcpEntry('z-cart.internal'), svcAt()], 'HTTP', ['Service/cart.shop.svc.cluster.local:80', 'ServiceEntry/z-cart.internal:7000']],
    ['older Service over an earlier hostname', [tcpEntry('a-cart.internal', { creationTimestamp: '2026-02-01T00:00:00Z' }), svcAt('2026-01-01T00:00:00Z')], 'HTTP', ['Service/cart.shop.svc.cluster.local:80', 'ServiceEntry/a-cart.internal:7000']],
    ['older ServiceEntry over an earlier hostname', [tcpEntry('z-cart.internal', { creationTimestamp: '2025-12-01T00:00:00Z' }), svcAt('2026-01-01T00:00:00Z')], 'TCP', ['ServiceEntry/z-cart.internal:7000', 'Service/cart.shop.svc.cluster.local:80']],
    ['one hostname: the Kubernetes registry first, whatever the input order', [tcpEntry('cart.shop.svc.cluster.local'), svcAt()], 'HTTP', ['Service/cart.shop.svc.cluster.local:80', 'ServiceEntry/cart.shop.svc.cluster.local:7000']],
  ];
  for (const [name, objects, protocol, services] of table) {
    const v = buildProxyView(graphOf([workload(), ...objects]), proxy).inbound!;
    const p8080 = v.ports.find((p) => p.port === 8080)!;
    assert.equal([p8080.protocol, p8080.services.map((s) => `${s.origin.ref.kind}/${s.host}:${s.port}`)], [protocol, services], name);
    assert.equal(v.ports.map((p) => p.port), [8080, 9000], `${name}: the Service's gRPC port stays`);
    // The port-protocol shortcut rules read gives the same answer as the full view, computed on a fresh graph.
    const protocols = inboundPortProtocols(graphOf([workload(), ...objects]), proxy);
    assert.equal([...protocols], [[8080, protocol], [9000, 'GRPC']], `${name}: inboundPortProtocols`);
    assert.equal([...protocols], v.ports.map((p) => [p.port, p.protocol]), `${name}: inboundPortProtocols agrees with the view`);
  }
});

test('GIVEN a gateway proxy or a sniffed port WHEN inboundPortProtocols and inboundPortIsTcp are asked THEN a router has no inbound port and only a declared non-HTTP port is TCP', () => {
  const tcpSvc = svc('cart-admin', NS, [{ name: 'tcp-admin', port: 7000, targetPort: 9000 }, { name: 'web', port: 81, targetPort: 8080 }]);
  (tcpSvc.spec as Obj).selector = { app: 'cart' };
  const sniffed = { ...cartSvc, spec: { ...(cartSvc.spec as Obj), ports: [{ name: 'web', port: 80, targetPort: 8080 }] } };
  const graph = graphOf([workload(), sniffed, tcpSvc]);
  assert.equal([...inboundPortProtocols(graph, proxy)], [[8080, 'UnsupportedProtocol'], [9000, 'TCP']]);
  assert.equal([inboundPortIsTcp(graph, proxy, 8080), inboundPortIsTcp(graph, proxy, 9000), inboundPortIsTcp(graph, proxy, 1234)], [false, true, false]);
  const gwProxy = describeProxy({ type: 'router', name: 'cart', namespace: NS, labels: { app: 'cart', version: 'v1' } });
  assert.equal([...inboundPortProtocols(graph, gwProxy)], []);
});

test('GIVEN a port only a ServiceEntry sends to WHEN viewed THEN portLevelMtls and AuthorizationPolicy to.ports apply to it as to a Service\'s container port', () => {
  const v = inbound([
    entry('cart-admin', ['cart-admin.internal'], [{ number: 443, name: 'tls-admin', protocol: 'TLS', targetPort: 7443 }]),
    pa('wl', NS, { ...sel({ app: 'cart' }), mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { 7443: { mode: 'STRICT' } } }),
    ap('admin', NS, { ...sel({ app: 'cart' }), rules: [{ to: [{ operation: { ports: ['7443'] } }] }, { to: [{ operation: { ports: ['443'] } }] }] }),
  ]);
  assert.equal(v.ports.map((p) => [p.port, p.protocol, p.mtls.mode, p.mtls.source]), [
    [7443, 'TLS', 'STRICT', 'workload-port'], [8080, 'HTTP', 'PERMISSIVE', 'workload'], [9000, 'GRPC', 'PERMISSIVE', 'workload'],
  ]);
  const [byTarget, byEntryPort] = v.authorizationPolicies[0]!.rules.map((r) => r.permissions[0]![0]!);
  assert.is(byTarget!.note, undefined);
  assert.match(byEntryPort!.note!, /port 443 is not a container port of this workload \(7443, 8080, 9000\)/);
});

test('GIVEN a named targetPort no container port carries WHEN viewed THEN the port is left out with a problem naming the Service field and the fix', () => {
  const bad = svc('cart', NS, [{ name: 'http', port: 80, targetPort: 'missing' }]);
  const v = buildProxyView(graphOf([workload(), bad]), proxy).inbound!;
  assert.equal(v.ports, []);
  assert.is(v.problems.length, 1);
  assert.is(v.problems[0]!.code, 'view/inbound-target-port');
  assert.equal(v.problems[0]!.origin.path, ['spec', 'ports', 0, 'targetPort']);
  assert.match(v.problems[0]!.message, /targetPort "missing".*name a containerPort/);
});

test('GIVEN PeerAuthentications at mesh, namespace, workload and port level WHEN viewed THEN each port gets Istio\'s precedence (UNSET inherits)', () => {
  const mesh = (mode: string) => pa('mesh', ROOT, { mtls: { mode } });
  const nsPa = (mode: string, extra: Obj = {}) => pa('ns', NS, { mtls: { mode }, ...extra });
  const wl = (spec: Obj, labels = { app: 'cart' }) => pa('wl', NS, { ...sel(labels), ...spec });
  // [objects, [mode, source] on 8080, [mode, source] on 9000]
  const table: [string, Obj[], [string, string], [string, string]][] = [
    ['nothing', [], ['PERMISSIVE', 'default'], ['PERMISSIVE', 'default']],
    ['mesh STRICT', [mesh('STRICT')], ['STRICT', 'mesh'], ['STRICT', 'mesh']],
    ['namespace over mesh', [mesh('STRICT'), nsPa('DISABLE')], ['DISABLE', 'namespace'], ['DISABLE', 'namespace']],
    ['namespace UNSET inherits mesh', [mesh('STRICT'), nsPa('UNSET')], ['STRICT', 'mesh'], ['STRICT', 'mesh']],
    ['workload over namespace', [nsPa('PERMISSIVE'), wl({ mtls: { mode: 'STRICT' } })], ['STRICT', 'workload'], ['STRICT', 'workload']],
    ['workload UNSET inherits namespace', [nsPa('DISABLE'), wl({ mtls: { mode: 'UNSET' } })], ['DISABLE', 'namespace'], ['DISABLE', 'namespace']],
    ['port level over workload', [wl({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } })], ['DISABLE', 'workload-port'], ['STRICT', 'workload']],
    ['port level with UNSET workload mode', [nsPa('PERMISSIVE'), wl({ portLevelMtls: { 9000: { mode: 'STRICT' } } })], ['PERMISSIVE', 'namespace'], ['STRICT', 'workload-port']],
    ['port level UNSET inherits', [mesh('STRICT'), wl({ portLevelMtls: { 8080: { mode: 'UNSET' } } })], ['STRICT', 'mesh'], ['STRICT', 'mesh']],
    ['port level keyed by Service port never applies', [mesh('STRICT'), wl({ portLevelMtls: { 80: { mode: 'DISABLE' } } })], ['STRICT', 'mesh'], ['STRICT', 'mesh']],
    ['portLevelMtls without selector is ignored', [nsPa('PERMISSIVE', { portLevelMtls: { 8080: { mode: 'STRICT' } } })], ['PERMISSIVE', 'namespace'], ['PERMISSIVE', 'namespace']],
    ['selector for other pods', [mesh('STRICT'), wl({ mtls: { mode: 'DISABLE' } }, { app: 'other' })], ['STRICT', 'mesh'], ['STRICT', 'mesh']],
    ['other namespace', [pa('x', 'elsewhere', { mtls: { mode: 'DISABLE' } })], ['PERMISSIVE', 'default'], ['PERMISSIVE', 'default']],
  ];
  for (const [name, objects, p8080, p9000] of table) {
    const v = inbound(objects);
    assert.equal(v.ports.map((p) => [p.mtls.mode, p.mtls.source]), [p8080, p9000], name);
  }
  const v = inbound([wl({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } })]);
  assert.equal(v.ports[0]!.mtls.origin?.path, ['spec', 'portLevelMtls', '8080']);
  assert.equal(v.ports[1]!.mtls.origin?.path, ['spec', 'mtls']);
  assert.equal([v.mtls.mode, v.mtls.source], ['STRICT', 'workload'], 'workload-wide mode ignores portLevelMtls');
});

test('GIVEN AuthorizationPolicies in the root namespace, the workload namespace and elsewhere WHEN viewed THEN exactly those applying are listed, root first, with their scope', () => {
  const v = inbound([
    ap('ns-wide', NS, { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }),
    ap('mesh-wide', ROOT, { action: 'AUDIT', rules: [{}] }),
    ap('root-selector', ROOT, { ...sel({ app: 'cart' }), rules: [{}] }),
    ap('root-selector-other', ROOT, { ...sel({ app: 'other' }), rules: [{}] }),
    ap('mine', NS, { ...sel({ app: 'cart', version: 'v1' }), action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['web'] } }] }] }),
    ap('not-mine', NS, { ...sel({ version: 'v2' }), rules: [{}] }),
    ap('elsewhere', 'web', { rules: [{}] }),
    ap('custom', NS, { action: 'CUSTOM', provider: { name: 'oauth2' }, rules: [{ to: [{ operation: { paths: ['/login'] } }] }] }, { 'istio.io/dry-run': 'true' }),
    ap('waypoint', NS, { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], rules: [{}] }),
  ]);
  assert.equal(v.authorizationPolicies.map((p) => [p.name, p.action, p.scope]), [
    ['mesh-wide', 'AUDIT', 'mesh'], ['root-selector', 'ALLOW', 'workload'],
    ['ns-wide', 'DENY', 'namespace'], ['mine', 'ALLOW', 'workload'], ['custom', 'CUSTOM', 'namespace'],
  ]);
  const custom = v.authorizationPolicies.find((p) => p.name === 'custom')!;
  assert.equal([custom.provider, custom.dryRun], ['oauth2', true]);
  assert.equal(v.problems.map((p) => [p.code, p.origin.ref.name, p.origin.path]), [['view/authz-target-ref', 'waypoint', ['spec', 'targetRefs']]]);
});

const fields = (list: readonly AuthzMatchView[]) => list.map((m) => [m.attribute, ...m.key, m.values, m.notValues]);

test('GIVEN a rule with two sources, two operations and when conditions WHEN viewed THEN it is consolidated like Istio\'s authz model (when ANDed into each side), with origins', () => {
  const v = inbound([ap('mixed', NS, {
    action: 'DENY',
    rules: [{
      from: [{ source: { principals: ['cluster.local/ns/web/sa/front'], notNamespaces: ['dev'] } }, { source: { ipBlocks: ['10.0.0.0/8'], remoteIpBlocks: ['1.2.3.4'] } }],
      to: [{ operation: { methods: ['POST'], paths: ['/pay/*'] } }, { operation: { hosts: ['*.shop.example'], notPorts: ['9000'] } }],
      when: [
        { key: 'request.headers[X-Canary]', values: ['on'] },
        { key: 'source.namespace', notValues: ['legacy'] },
        { key: 'destination.port', values: ['8080'] },
        { key: 'connection.sni', values: ['cart.shop'] },
        { key: 'request.auth.claims[groups][admin]', values: ['yes'] },
        { key: 'experimental.envoy.filters.foo[bar]', values: ['x'] },
        { key: 'source.workload', values: ['x'] },
      ],
    }],
  })]);
  const r = v.authorizationPolicies[0]!.rules[0]!;
  assert.is(r.name, 'ns[shop]-policy[mixed]-rule[0]');
  const whenPrincipals = [['request.headers', 'x-canary', ['on'], []], ['source.namespace', [], ['legacy']], ['request.auth.claims', 'groups', 'admin', ['yes'], []]];
  assert.equal(r.principals.map(fields), [
    [['source.principal', ['cluster.local/ns/web/sa/front'], []], ['source.namespace', [], ['dev']], ...whenPrincipals],
    [['remote.ip', ['1.2.3.4'], []], ['source.ip', ['10.0.0.0/8'], []], ...whenPrincipals],
  ]);
  const whenPermissions = [['destination.port', ['8080'], []], ['connection.sni', ['cart.shop'], []], ['unsupported', 'experimental.envoy.filters.foo[bar]', [], []], ['unsupported', 'source.workload', [], []]];
  assert.equal(r.permissions.map(fields), [
    [['method', ['POST'], []], ['path', ['/pay/*'], []], ...whenPermissions],
    [['host', ['*.shop.example'], []], ['destination.port', [], ['9000']], ...whenPermissions],
  ]);
  const unsupported = r.permissions[0]!.filter((m) => m.attribute === 'unsupported');
  assert.match(unsupported[0]!.unsupported!, /experimental attribute/);
  assert.match(unsupported[1]!.unsupported!, /"source.workload" is not an attribute/);
  assert.equal(r.permissions[0]![0]!.origin.path, ['spec', 'rules', 0, 'to', 0, 'operation', 'methods']);
  assert.equal(r.principals[0]![1]!.origin.path, ['spec', 'rules', 0, 'from', 0, 'source', 'notNamespaces']);
  assert.equal(r.permissions[0]![2]!.origin.path, ['spec', 'rules', 0, 'when', 2]);
  assert.equal([r.principals[0]![0]!.httpOnly, r.permissions[0]![0]!.httpOnly, r.principals[0]![2]!.httpOnly], [false, true, true]);
});

test('GIVEN malformed IP blocks and ports WHEN viewed THEN the valid values are kept and the bad ones named as unsupported', () => {
  const v = inbound([ap('bad', NS, { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8', '10.0.0.0/99', 'nope'] } }], to: [{ operation: { ports: ['8080', '70000'], paths: ['/api/{*}/x'] } }] }] })]);
  const r = v.authorizationPolicies[0]!.rules[0]!;
  const ip = r.principals[0]![0]!;
  assert.equal([ip.values, ip.unsupported], [['10.0.0.0/8'], '"10.0.0.0/99", "nope" are not an IP address or CIDR']);
  const [path, port] = r.permissions[0]!;
  assert.equal([port!.values, port!.unsupported], [['8080'], '"70000" is not a port number (0-65535)']);
  assert.match(path!.unsupported!, /path templates/);
  const re = inbound([ap('re', NS, { rules: [{ from: [{ source: { namespaces: ['web', 'a(b'], principals: ['*sa/(x', '*/sa/ok'] } }] }] })]).authorizationPolicies[0]!.rules[0]!.principals[0]!;
  assert.equal(re.map((m) => [m.attribute, m.values, m.unsupported]), [
    ['source.principal', ['*/sa/ok'], '"*sa/(x" is not usable: Istio pastes a leading-* principal into an RE2 regex and this one breaks it'],
    ['source.namespace', ['web'], '"a(b" is not usable: Istio pastes namespaces into an RE2 regex and this one breaks it'],
  ]);
});

test('GIVEN to.ports naming a Service port WHEN viewed THEN the view notes it can never match (AuthorizationPolicy ports are container ports); a container port has no note', () => {
  const v = inbound([ap('svc-port', NS, { rules: [{ to: [{ operation: { ports: ['80'] } }] }, { to: [{ operation: { ports: ['8080'] } }] }] })]);
  const [byService, byContainer] = v.authorizationPolicies[0]!.rules.map((r) => r.permissions[0]![0]!);
  assert.equal(v.ports.map((p) => p.port), [8080, 9000]);
  assert.equal(byService!.values, ['80']);
  assert.match(byService!.note!, /port 80 is not a container port of this workload \(8080, 9000\).*Service port never matches/);
  assert.is(byContainer!.note, undefined);
});

test('GIVEN a mesh trust domain with an alias WHEN principals are viewed THEN cluster.local and the aliases expand to every trust domain; foreign and * trust domains are kept', () => {
  const context = { ...DEFAULT_MESH_CONTEXT, meshConfig: { ...DEFAULT_MESH_CONTEXT.meshConfig, trustDomain: 'example.org', trustDomainAliases: ['old.org'] } };
  const v = inbound([ap('tds', NS, { rules: [{ from: [{ source: { principals: ['cluster.local/ns/web/sa/front', 'old.org/ns/a/sa/b', 'partner.io/ns/p/sa/q', '*/ns/x/sa/y', 'just-a-name'] } }] }] })], context);
  assert.equal(v.authorizationPolicies[0]!.rules[0]!.principals[0]![0]!.values, [
    'example.org/ns/web/sa/front', 'old.org/ns/web/sa/front', 'example.org/ns/a/sa/b', 'old.org/ns/a/sa/b', 'partner.io/ns/p/sa/q', '*/ns/x/sa/y', 'just-a-name',
  ]);
  assert.equal(replaceTrustDomainAliases(['cluster.local/ns/a/sa/b'], ['cluster.local']), ['cluster.local/ns/a/sa/b']);
});

test('GIVEN ALLOW rules WHEN viewed THEN the shared "allows everything" definition marks the open ones, DENY rules are never marked', () => {
  const v = inbound([
    ap('open', NS, { rules: [{}, { from: [{ source: { namespaces: ['*'] } }] }, { from: [{ source: { principals: ['cluster.local/ns/web/sa/front'] } }] }] }),
    ap('deny-all', NS, { action: 'DENY', rules: [{}] }),
    ap('nothing', NS, {}),
  ]);
  const [open, deny, nothing] = v.authorizationPolicies;
  assert.equal(open!.rules.map((r) => r.allowsEverything === null ? null : r.allowsEverything.split(' (')[0]), ['has no from, to or when', 'uses only wildcards', null]);
  assert.is(deny!.rules[0]!.allowsEverything, null);
  assert.equal([nothing!.action, nothing!.rules], ['ALLOW', []]);
});

test('GIVEN a gateway proxy WHEN viewed THEN it has no inbound ports (even when a Service selects it) but lists the policies selecting its pods', () => {
  const gwProxy = describeProxy({ type: 'router', name: 'ingress', namespace: 'istio-ingress', labels: { istio: 'ingressgateway' } });
  const gwSvc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ingress', namespace: 'istio-ingress' }, spec: { selector: { istio: 'ingressgateway' }, ports: [{ name: 'http', port: 80 }] } };
  const v = buildProxyView(graphOf([cartSvc, gwSvc, ap('ip-allow', 'istio-ingress', { ...sel({ istio: 'ingressgateway' }), rules: [{ from: [{ source: { remoteIpBlocks: ['203.0.113.0/24'] } }] }] }), ap('other', 'istio-ingress', { ...sel({ app: 'x' }), rules: [{}] })]), gwProxy).inbound!;
  assert.equal(v.ports, []);
  assert.equal(v.authorizationPolicies.map((p) => p.name), ['ip-allow']);
});

test.run();
