/**
 * Mutations of a {@link MeshState} for the differential carry-over test: one row per field a
 * translation builder reads (directly or through the view). Each edits the state in place and says
 * what it did, or returns null when the state has nothing it applies to.
 */
import type { WorkloadInstance } from '../../../src/xds/translate/index.js';
import type { Doc, MeshState, Placed } from './_mesh-state.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type Rng = () => number;
export interface Mutation { readonly name: string; readonly apply: (s: MeshState, r: Rng) => string | null }

const pick = <T>(r: Rng, xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(r() * xs.length)]);
const of = (s: MeshState, kind: string): Placed[] => s.placed.filter((p) => p.doc.kind === kind);
const id = (d: Doc): string => `${d.kind} ${d.metadata?.namespace ?? ''}/${d.metadata?.name}`;
const ns = (d: Doc): string => String(d.metadata?.namespace ?? 'default');
const spec = (d: Doc): Doc => (d.spec ??= {});
const meta = (d: Doc): Doc => (d.metadata ??= {});
const services = (s: MeshState): Doc[] => of(s, 'Service').map((p) => p.doc).filter((d) => Array.isArray(d.spec?.ports));
const namespaces = (s: MeshState): string[] => [...new Set(s.placed.map((p) => p.doc.kind === 'Namespace' ? String(p.doc.metadata.name) : ns(p.doc)))].sort();

/** A random service host name as a client may write it (short, `<name>.<ns>`, or FQDN), and its first port. */
function someHost(s: MeshState, r: Rng): { host: string; fqdn: string; port: number; ns: string } | undefined {
  const svc = pick(r, services(s));
  if (!svc) return undefined;
  const fqdn = `${svc.metadata.name}.${ns(svc)}.svc.cluster.local`;
  return { host: fqdn, fqdn, port: Number(svc.spec.ports[0]?.port ?? 80), ns: ns(svc) };
}

/** Edits one random object of `kind`: `edit` returns what it did, or null. */
function onKind(kind: string, edit: (d: Doc, r: Rng, s: MeshState) => string | null): (s: MeshState, r: Rng) => string | null {
  return (s, r) => {
    if (of(s, kind).length === 0) CREATE[kind]?.(s, r);
    const p = pick(r, of(s, kind));
    if (!p) return null;
    const what = edit(p.doc, r, s);
    return what === null ? null : `${id(p.doc)}: ${what}`;
  };
}

function httpRoutes(d: Doc): Doc[] {
  const http = d.spec?.http;
  return Array.isArray(http) ? http : [];
}

function someHttpRoute(d: Doc, r: Rng): Doc {
  const routes = httpRoutes(d);
  if (routes.length > 0) return pick(r, routes)!;
  const host = String(d.spec?.hosts?.[0] ?? 'reviews');
  const route = { route: [{ destination: { host } }] };
  spec(d).http = [route];
  return route;
}

function destinations(d: Doc): Doc[] {
  return httpRoutes(d).flatMap((h) => (Array.isArray(h.route) ? h.route : []));
}

function trafficPolicy(d: Doc, r: Rng): { tp: Doc; where: string } {
  const subsets: Doc[] = Array.isArray(d.spec?.subsets) ? d.spec.subsets : [];
  if (subsets.length > 0 && r() < 0.25) {
    const sub = pick(r, subsets)!;
    return { tp: (sub.trafficPolicy ??= {}), where: `subset ${sub.name} ` };
  }
  if (r() < 0.2) {
    const tp = (spec(d).trafficPolicy ??= {});
    const pls: Doc[] = (tp.portLevelSettings ??= [{ port: { number: [9080, 8080, 8000, 80][Math.floor(r() * 4)] } }]);
    const pl = pick(r, pls)!;
    return { tp: pl, where: `portLevelSettings[${pl.port?.number}] ` };
  }
  return { tp: (spec(d).trafficPolicy ??= {}), where: '' };
}

/**
 * Edits the DestinationRule of a host some VirtualService route sends to (what the route's Envoy
 * form reads from its clusters: whether the subset's cluster exists, the consistent hash), leaving
 * the VirtualService as it was.
 */
function routedRule(s: MeshState, r: Rng, edit: (dr: Doc, dest: Doc) => string | null): string | null {
  const short = (h: unknown): string => String(h ?? '').split('.')[0]!;
  const pairs = of(s, 'VirtualService').flatMap((p) => destinations(p.doc).map((d) => d.destination as Doc | undefined).filter((d): d is Doc => d !== undefined))
    .flatMap((dest) => of(s, 'DestinationRule').filter((p) => short(p.doc.spec?.host) === short(dest.host)).map((p) => ({ dr: p.doc, dest })));
  const pair = pick(r, pairs);
  if (!pair) return null;
  const what = edit(pair.dr, pair.dest);
  return what === null ? null : `${id(pair.dr)}: ${what}`;
}

const SERVICE: Mutation[] = [
  { name: 'Service port number', apply: onKind('Service', (d, r) => { const p = pick(r, d.spec?.ports ?? []) as Doc | undefined; if (!p) return null; p.port = Number(p.port) + 1 + Math.floor(r() * 3); return `port → ${p.port}`; }) },
  { name: 'Service port name', apply: onKind('Service', (d, r) => { const p = pick(r, d.spec?.ports ?? []) as Doc | undefined; if (!p) return null; p.name = pick(r, ['http', 'http2', 'grpc', 'tcp', 'tls', 'http-web', 'mongo'])!; return `port name → ${p.name}`; }) },
  { name: 'Service appProtocol', apply: onKind('Service', (d, r) => { const p = pick(r, d.spec?.ports ?? []) as Doc | undefined; if (!p) return null; p.appProtocol = pick(r, ['http', 'http2', 'grpc', 'tcp', 'https'])!; return `appProtocol → ${p.appProtocol}`; }) },
  { name: 'Service targetPort', apply: onKind('Service', (d, r) => { const p = pick(r, d.spec?.ports ?? []) as Doc | undefined; if (!p) return null; p.targetPort = r() < 0.5 ? 9999 : 'web'; return `targetPort → ${p.targetPort}`; }) },
  { name: 'Service port added', apply: onKind('Service', (d) => { if (!Array.isArray(d.spec?.ports)) return null; d.spec.ports.push({ name: 'grpc-extra', port: 7070 }); return 'port grpc-extra 7070 added'; }) },
  { name: 'Service selector', apply: onKind('Service', (d, r) => { if (r() < 0.3) { delete spec(d).selector; return 'selector removed'; } spec(d).selector = { ...(d.spec.selector ?? {}), app: `${d.metadata.name}${r() < 0.5 ? '-x' : ''}` }; return `selector app → ${d.spec.selector.app}`; }) },
  { name: 'Service labels', apply: onKind('Service', (d) => { meta(d).labels = { ...(d.metadata.labels ?? {}), tier: 'gold' }; return 'label tier=gold'; }) },
  { name: 'Service exportTo annotation', apply: onKind('Service', (d, r) => { meta(d).annotations = { ...(d.metadata.annotations ?? {}), 'networking.istio.io/exportTo': pick(r, ['.', '*', 'istio-system', '~'])! }; return `exportTo annotation ${d.metadata.annotations['networking.istio.io/exportTo']}`; }) },
  { name: 'Service clusterIP', apply: onKind('Service', (d, r) => { spec(d).clusterIP = `10.96.${Math.floor(r() * 200)}.${Math.floor(r() * 200) + 1}`; return `clusterIP ${d.spec.clusterIP}`; }) },
  { name: 'Service removed', apply: (s, r) => { const p = pick(r, of(s, 'Service')); if (!p) return null; s.placed.splice(s.placed.indexOf(p), 1); return `${id(p.doc)} removed`; } },
];

const DESTINATION_RULE: Mutation[] = [
  { name: 'DestinationRule host', apply: onKind('DestinationRule', (d, r, s) => { const h = someHost(s, r); if (!h) return null; spec(d).host = r() < 0.5 ? h.fqdn : h.fqdn.split('.')[0]; return `host → ${d.spec.host}`; }) },
  { name: 'DestinationRule subset labels', apply: onKind('DestinationRule', (d, r) => { const sub = pick(r, d.spec?.subsets ?? []) as Doc | undefined; if (!sub) return null; sub.labels = { ...(sub.labels ?? {}), version: pick(r, ['v1', 'v2', 'v3'])! }; return `subset ${sub.name} version=${sub.labels.version}`; }) },
  { name: 'DestinationRule subset added/removed/renamed', apply: onKind('DestinationRule', (d, r) => { const subs: Doc[] = (spec(d).subsets ??= []); const x = r(); if (x < 0.4) { subs.push({ name: 'v3', labels: { version: 'v3' } }); return 'subset v3 added'; } if (subs.length === 0) return null; const sub = pick(r, subs)!; if (x < 0.7) { subs.splice(subs.indexOf(sub), 1); return `subset ${sub.name} removed`; } sub.name = `${sub.name}b`; return `subset renamed ${sub.name}`; }) },
  { name: 'DestinationRule lb simple', apply: onKind('DestinationRule', (d, r) => { const { tp, where } = trafficPolicy(d, r); tp.loadBalancer = { simple: pick(r, ['ROUND_ROBIN', 'RANDOM', 'LEAST_REQUEST', 'PASSTHROUGH'])!, ...(r() < 0.3 ? { warmupDurationSecs: '30s' } : {}) }; return `${where}loadBalancer ${JSON.stringify(tp.loadBalancer)}`; }) },
  { name: 'DestinationRule consistentHash', apply: onKind('DestinationRule', (d, r) => { const { tp, where } = trafficPolicy(d, r); tp.loadBalancer = { consistentHash: pick(r, [{ httpHeaderName: 'x-user' }, { httpHeaderName: 'x-session', ringHash: { minimumRingSize: 2048 } }, { httpCookie: { name: 'c', ttl: '10s' } }, { useSourceIp: true, maglev: { tableSize: 65537 } }])! }; return `${where}consistentHash ${JSON.stringify(tp.loadBalancer.consistentHash)}`; }) },
  { name: 'DestinationRule connectionPool', apply: onKind('DestinationRule', (d, r) => { const { tp, where } = trafficPolicy(d, r); const n = 1 + Math.floor(r() * 100); tp.connectionPool = pick(r, [{ tcp: { maxConnections: n, connectTimeout: `${n}ms` } }, { http: { http1MaxPendingRequests: n, http2MaxRequests: n + 1, maxRetries: n + 2 } }, { http: { maxRequestsPerConnection: n, idleTimeout: `${n}s` } }, { http: { h2UpgradePolicy: 'UPGRADE' } }])!; return `${where}connectionPool ${JSON.stringify(tp.connectionPool)}`; }) },
  { name: 'DestinationRule outlierDetection', apply: onKind('DestinationRule', (d, r) => { const { tp, where } = trafficPolicy(d, r); const n = 1 + Math.floor(r() * 9); tp.outlierDetection = pick(r, [{ consecutive5xxErrors: n }, { consecutiveGatewayErrors: n, interval: `${n}s` }, { baseEjectionTime: `${n}m`, maxEjectionPercent: n * 10 }, { minHealthPercent: n * 5, splitExternalLocalOriginErrors: true }])!; return `${where}outlierDetection ${JSON.stringify(tp.outlierDetection)}`; }) },
  { name: 'DestinationRule tls', apply: onKind('DestinationRule', (d, r) => { const { tp, where } = trafficPolicy(d, r); tp.tls = pick(r, [{ mode: 'ISTIO_MUTUAL' }, { mode: 'DISABLE' }, { mode: 'SIMPLE', sni: 'x.example' }, { mode: 'MUTUAL', credentialName: 'cred' }, { mode: 'ISTIO_MUTUAL', subjectAltNames: ['spiffe://cluster.local/ns/x/sa/y'] }])!; return `${where}tls ${JSON.stringify(tp.tls)}`; }) },
  { name: 'DestinationRule workloadSelector', apply: onKind('DestinationRule', (d, r) => { spec(d).workloadSelector = { matchLabels: { app: pick(r, ['productpage', 'reviews', 'svc1', 'ratings'])! } }; return `workloadSelector ${JSON.stringify(d.spec.workloadSelector)}`; }) },
  { name: 'DestinationRule exportTo', apply: onKind('DestinationRule', (d, r) => { spec(d).exportTo = [pick(r, ['.', '*', 'istio-system', 'front'])!]; return `exportTo ${JSON.stringify(d.spec.exportTo)}`; }) },
  { name: 'DestinationRule subset a route names removed', apply: (s, r) => routedRule(s, r, (dr, dest) => { const subs: Doc[] = dr.spec.subsets ?? []; const i = subs.findIndex((x) => x.name === dest.subset); if (i < 0) return null; subs.splice(i, 1); return `subset ${dest.subset} removed (a route names it)`; }) },
  { name: 'DestinationRule consistentHash of a routed host', apply: (s, r) => routedRule(s, r, (dr) => { (spec(dr).trafficPolicy ??= {}).loadBalancer = { consistentHash: pick(r, [{ httpHeaderName: 'x-user' }, { useSourceIp: true }, { httpQueryParameterName: 'q' }])! }; return `consistentHash ${JSON.stringify(dr.spec.trafficPolicy.loadBalancer.consistentHash)} (a route sends to it)`; }) },
  { name: 'DestinationRule trafficPolicy removed', apply: (s, r) => { const p = pick(r, of(s, 'DestinationRule').filter((x) => x.doc.spec?.trafficPolicy)); if (!p) return null; delete p.doc.spec.trafficPolicy; return `${id(p.doc)}: trafficPolicy removed`; } },
];

const VIRTUAL_SERVICE: Mutation[] = [
  { name: 'VirtualService hosts', apply: onKind('VirtualService', (d, r, s) => { const h = someHost(s, r); if (!h) return null; spec(d).hosts = r() < 0.5 ? [...(d.spec.hosts ?? []), h.fqdn] : [h.fqdn.split('.').slice(0, 2).join('.')]; return `hosts ${JSON.stringify(d.spec.hosts)}`; }) },
  { name: 'VirtualService gateways', apply: onKind('VirtualService', (d, r) => { spec(d).gateways = pick(r, [['mesh'], ['istio-system/public', 'mesh'], ['istio-system/public']])!; return `gateways ${JSON.stringify(d.spec.gateways)}`; }) },
  { name: 'VirtualService http match', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); h.match = [pick(r, [{ uri: { prefix: '/api' } }, { uri: { exact: '/x' }, ignoreUriCase: true }, { headers: { 'x-user': { exact: 'jason' } } }, { method: { exact: 'GET' } }, { queryParams: { q: { regex: 'a.*' } } }, { authority: { prefix: 'a' } }, { withoutHeaders: { 'x-a': { exact: '1' } } }])!]; return `match ${JSON.stringify(h.match)}`; }) },
  { name: 'VirtualService destination', apply: onKind('VirtualService', (d, r, s) => { const dest = pick(r, destinations(d)); if (!dest) return null; const x = r(); if (x < 0.35) { const h = someHost(s, r); if (!h) return null; dest.destination = { host: h.fqdn }; } else if (x < 0.7) dest.destination = { ...dest.destination, subset: pick(r, ['v1', 'v2', 'v3'])! }; else dest.destination = { ...dest.destination, port: { number: pick(r, [80, 8080, 9080])! } }; return `destination ${JSON.stringify(dest.destination)}`; }) },
  { name: 'VirtualService weights', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); const ds: Doc[] = Array.isArray(h.route) ? h.route : []; if (ds.length === 0) return null; const w = Math.floor(r() * 101); ds.forEach((x, i) => { x.weight = i === 0 ? w : Math.floor((100 - w) / Math.max(1, ds.length - 1)); }); return `weights ${ds.map((x) => x.weight).join('/')}`; }) },
  { name: 'VirtualService timeout/retries', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); if (r() < 0.5) { h.timeout = `${1 + Math.floor(r() * 9)}s`; return `timeout ${h.timeout}`; } h.retries = pick(r, [{ attempts: 0 }, { attempts: 4, perTryTimeout: '1s' }, { attempts: 2, retryOn: '5xx,reset' }, { attempts: 3, retryRemoteLocalities: true }])!; return `retries ${JSON.stringify(h.retries)}`; }) },
  { name: 'VirtualService fault', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); h.fault = pick(r, [{ abort: { httpStatus: 503, percentage: { value: 10 } } }, { delay: { fixedDelay: '1s', percentage: { value: 50 } } }])!; return `fault ${JSON.stringify(h.fault)}`; }) },
  { name: 'VirtualService mirror', apply: onKind('VirtualService', (d, r, s) => { const hh = someHost(s, r); if (!hh) return null; const h = someHttpRoute(d, r); h.mirror = { host: hh.fqdn }; if (r() < 0.5) h.mirrorPercentage = { value: 25 }; return `mirror ${hh.fqdn} ${JSON.stringify(h.mirrorPercentage ?? null)}`; }) },
  { name: 'VirtualService headers', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); h.headers = pick(r, [{ request: { set: { 'x-a': '1' } } }, { response: { add: { 'x-b': '2' }, remove: ['x-c'] } }])!; return `headers ${JSON.stringify(h.headers)}`; }) },
  { name: 'VirtualService rewrite/redirect/directResponse', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); const x = r(); if (x < 0.5) { h.rewrite = pick(r, [{ uri: '/v2' }, { authority: 'b.example' }])!; return `rewrite ${JSON.stringify(h.rewrite)}`; } delete h.route; if (x < 0.75) { h.redirect = { uri: '/moved' }; return 'redirect'; } h.directResponse = { status: 418 }; return 'directResponse 418'; }) },
  { name: 'VirtualService corsPolicy', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); h.corsPolicy = { allowOrigins: [{ exact: 'https://a.example' }], allowMethods: ['GET'], maxAge: '1h' }; return 'corsPolicy'; }) },
  { name: 'VirtualService http reordered', apply: onKind('VirtualService', (d, r) => { const routes = httpRoutes(d); if (routes.length < 2) routes.unshift({ match: [{ uri: { prefix: `/p${Math.floor(r() * 10)}` } }], route: structuredClone(someHttpRoute(d, r).route ?? [{ destination: { host: String(d.spec?.hosts?.[0] ?? 'reviews') } }]) }); const before = routes.length; spec(d).http = [...httpRoutes(d)].reverse(); return `${before} http routes reversed`; }) },
  { name: 'VirtualService route named', apply: onKind('VirtualService', (d, r) => { const h = someHttpRoute(d, r); h.name = `r${Math.floor(r() * 10)}`; return `route name ${h.name}`; }) },
  { name: 'VirtualService delegate', apply: (s, r) => { const p = pick(r, of(s, 'VirtualService').filter((x) => httpRoutes(x.doc).length > 0 && (x.doc.spec.hosts ?? []).length > 0)); if (!p) return null; const d = p.doc; const routes = httpRoutes(d); const name = `${d.metadata.name}-delegate`; s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ns(d) }, spec: { http: structuredClone(routes) } }, file: 1, pad: 0, flow: false }); spec(d).http = [{ match: [{ uri: { prefix: '/' } }], delegate: { name, namespace: ns(d) } }]; return `${id(d)}: routes moved to delegate ${name}`; } },
  { name: 'VirtualService tcp/tls route', apply: onKind('VirtualService', (d, r, s) => { const h = someHost(s, r); if (!h) return null; if (r() < 0.5) spec(d).tcp = [{ match: [{ port: h.port }], route: [{ destination: { host: h.fqdn } }] }]; else spec(d).tls = [{ match: [{ sniHosts: [String(d.spec.hosts?.[0] ?? h.fqdn)], port: 443 }], route: [{ destination: { host: h.fqdn } }] }]; return `${d.spec.tls ? 'tls' : 'tcp'} route to ${h.fqdn}`; }) },
  { name: 'VirtualService exportTo', apply: onKind('VirtualService', (d, r) => { spec(d).exportTo = [pick(r, ['.', '*', 'istio-system', 'front', 'ns1'])!]; return `exportTo ${JSON.stringify(d.spec.exportTo)}`; }) },
  { name: 'VirtualService added', apply: (s, r) => { const h = someHost(s, r); if (!h) return null; s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: `added-${Math.floor(r() * 1e6)}`, namespace: h.ns }, spec: { hosts: [h.fqdn], http: [{ route: [{ destination: { host: h.fqdn } }], timeout: '3s' }] } }, file: 0, pad: 0, flow: false }); return `VirtualService for ${h.fqdn} added`; } },
  { name: 'VirtualService removed', apply: (s, r) => { const p = pick(r, of(s, 'VirtualService')); if (!p) return null; s.placed.splice(s.placed.indexOf(p), 1); return `${id(p.doc)} removed`; } },
];

const SE_HOSTS = ['api.payments.example', 'db.ext.example', 'ratings.example.com'];

const SERVICE_ENTRY: Mutation[] = [
  { name: 'ServiceEntry added', apply: (s, r) => { const n = pick(r, namespaces(s)) ?? 'default'; const resolution = pick(r, ['DNS', 'STATIC', 'NONE', 'DNS_ROUND_ROBIN'])!; s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: `se-${Math.floor(r() * 1e6)}`, namespace: n }, spec: { hosts: [pick(r, SE_HOSTS)!], location: pick(r, ['MESH_EXTERNAL', 'MESH_INTERNAL'])!, resolution, ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...(resolution === 'STATIC' ? { endpoints: [{ address: '10.9.9.9' }] } : {}) } }, file: 1, pad: 0, flow: false }); return `ServiceEntry ${resolution} in ${n} added`; } },
  { name: 'ServiceEntry hosts', apply: onKind('ServiceEntry', (d, r, s) => { spec(d).hosts = [r() < 0.3 ? (someHost(s, r)?.fqdn ?? 'x.example') : pick(r, SE_HOSTS)!, ...(r() < 0.3 ? ['second.example'] : [])]; return `hosts ${JSON.stringify(d.spec.hosts)}`; }) },
  { name: 'ServiceEntry ports', apply: onKind('ServiceEntry', (d, r) => { spec(d).ports = [pick(r, [{ number: 8000, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'tls', protocol: 'TLS' }, { number: 80, name: 'grpc', protocol: 'GRPC' }, { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8081 }])!]; return `ports ${JSON.stringify(d.spec.ports)}`; }) },
  { name: 'ServiceEntry resolution/endpoints', apply: onKind('ServiceEntry', (d, r) => { const x = r(); spec(d).resolution = pick(r, ['DNS', 'STATIC', 'NONE', 'DNS_ROUND_ROBIN'])!; if (x < 0.7) d.spec.endpoints = [{ address: d.spec.resolution === 'STATIC' ? '10.9.9.8' : 'a.ext.example', ...(r() < 0.5 ? { labels: { version: 'v1' }, locality: 'r1/z1', weight: 3, ports: { http: 8081 } } : {}) }, ...(r() < 0.5 ? [{ address: d.spec.resolution === 'STATIC' ? '10.9.9.7' : 'b.ext.example' }] : [])]; else delete d.spec.endpoints; return `resolution ${d.spec.resolution} endpoints ${JSON.stringify(d.spec.endpoints ?? null)}`; }) },
  { name: 'ServiceEntry location/addresses', apply: onKind('ServiceEntry', (d, r) => { if (r() < 0.5) spec(d).location = d.spec.location === 'MESH_INTERNAL' ? 'MESH_EXTERNAL' : 'MESH_INTERNAL'; else spec(d).addresses = ['240.0.0.7']; return `location ${d.spec.location} addresses ${JSON.stringify(d.spec.addresses ?? null)}`; }) },
  { name: 'ServiceEntry workloadSelector + WorkloadEntry', apply: onKind('ServiceEntry', (d, r, s) => { spec(d).workloadSelector = { labels: { app: 'vm' } }; delete d.spec.endpoints; if (d.spec.resolution !== 'STATIC' && d.spec.resolution !== 'DNS') d.spec.resolution = 'STATIC'; s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: `vm-${Math.floor(r() * 1e6)}`, namespace: ns(d) }, spec: { address: '10.8.0.1', labels: { app: 'vm', version: 'v1' }, ...(r() < 0.5 ? { serviceAccount: 'vm-sa' } : {}) } }, file: 0, pad: 0, flow: false }); return 'workloadSelector app=vm with a WorkloadEntry'; }) },
  { name: 'WorkloadEntry edited', apply: (s, r) => (of(s, 'WorkloadEntry').length === 0 ? SERVICE_ENTRY[5]!.apply(s, r) : editWorkloadEntry(s, r)) },
];

const editWorkloadEntry = onKind('WorkloadEntry', (d, r) => { if (r() < 0.5) spec(d).address = `10.8.0.${2 + Math.floor(r() * 100)}`; else spec(d).labels = { ...(d.spec.labels ?? {}), version: 'v2' }; return `address ${d.spec.address} labels ${JSON.stringify(d.spec.labels)}`; });

const POLICY: Mutation[] = [
  { name: 'Sidecar added', apply: (s, r) => { const n = pick(r, namespaces(s).filter((x) => x !== 'istio-system')); if (!n) return null; const egress = pick(r, [['./*'], ['./*', 'istio-system/*'], ['*/*.example', './*'], [`${pick(r, namespaces(s))}/*`]])!; s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: `sc-${Math.floor(r() * 1e6)}`, namespace: n }, spec: { egress: [{ hosts: egress }], ...(r() < 0.4 ? { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } : {}), ...(r() < 0.3 ? { workloadSelector: { labels: { app: 'productpage' } } } : {}) } }, file: 0, pad: 0, flow: false }); return `Sidecar in ${n} egress ${JSON.stringify(egress)}`; } },
  { name: 'Sidecar edited', apply: onKind('Sidecar', (d, r) => { const hosts = [pick(r, ['*/*', './*', 'istio-system/*'])!]; spec(d).egress = r() < 0.5 ? [{ hosts }] : [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts }, ...(r() < 0.5 ? [{ hosts: ['istio-system/*'] }] : [])]; d.spec.outboundTrafficPolicy = { mode: pick(r, ['ALLOW_ANY', 'REGISTRY_ONLY'])! }; return `egress ${JSON.stringify(d.spec.egress)} ${d.spec.outboundTrafficPolicy.mode}`; }) },
  { name: 'PeerAuthentication', apply: (s, r) => { const p = pick(r, of(s, 'PeerAuthentication')); const mode = pick(r, ['STRICT', 'PERMISSIVE', 'DISABLE'])!; if (p) { spec(p.doc).mtls = { mode }; return `${id(p.doc)}: mtls ${mode}`; } const n = pick(r, namespaces(s)) ?? 'default'; s.placed.push({ doc: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: n }, spec: { mtls: { mode } } }, file: 0, pad: 0, flow: false }); return `PeerAuthentication ${mode} in ${n} added`; } },
  { name: 'AuthorizationPolicy', apply: (s, r) => { const p = pick(r, of(s, 'AuthorizationPolicy')); const rules = pick(r, [[{ from: [{ source: { namespaces: ['front'] } }] }], [{ to: [{ operation: { methods: ['GET'] } }] }], []])!; if (p) { spec(p.doc).rules = rules; if (r() < 0.3) p.doc.spec.action = 'DENY'; return `${id(p.doc)}: rules ${JSON.stringify(rules)} ${p.doc.spec.action ?? ''}`; } const n = pick(r, namespaces(s)) ?? 'default'; s.placed.push({ doc: { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'ap', namespace: n }, spec: { rules } }, file: 1, pad: 0, flow: false }); return `AuthorizationPolicy in ${n} added`; } },
  { name: 'Namespace labels', apply: onKind('Namespace', (d, r) => { const labels = (meta(d).labels ??= {}); const x = r(); if (x < 0.4) { if (labels['istio-injection'] === 'enabled') delete labels['istio-injection']; else labels['istio-injection'] = 'enabled'; } else if (x < 0.6) labels['istio.io/dataplane-mode'] = 'ambient'; else labels.team = 'blue'; return `labels ${JSON.stringify(labels)}`; }) },
  { name: 'Deployment labels', apply: onKind('Deployment', (d, r, s) => { const tpl = ((spec(d).template ??= {}).metadata ??= {}); const labels = (tpl.labels ??= {}); const x = r(); if (x < 0.5) labels.version = pick(r, ['v1', 'v2', 'v3'])!; else if (x < 0.7) (tpl.annotations ??= {})['sidecar.istio.io/inject'] = 'false'; else if (x < 0.85) d.spec.template.spec = { ...(d.spec.template.spec ?? {}), serviceAccountName: 'other-sa' }; else labels.app = `${labels.app ?? 'x'}-renamed`; void s; return `template ${JSON.stringify(d.spec.template.metadata)} sa ${d.spec.template.spec?.serviceAccountName ?? '-'}`; }) },
  { name: 'Deployment added', apply: (s, r) => { const svc = pick(r, services(s)); if (!svc) return null; const name = `${svc.metadata.name}-v3`; s.placed.push({ doc: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns(svc) }, spec: { template: { metadata: { labels: { ...(svc.spec.selector ?? {}), version: 'v3' } }, spec: { containers: [{ name: 'app' }] } } } }, file: 1, pad: 0, flow: false }); return `Deployment ${ns(svc)}/${name} added`; } },
];

const MESH_CONFIG: Mutation = {
  name: 'mesh config', apply: (s, r) => {
    let p = s.placed.find((x) => x.doc.kind === 'ConfigMap' && x.doc.metadata?.name === 'istio' && x.doc.metadata?.namespace === 'istio-system');
    if (!p) s.placed.push((p = { doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: '' } }, file: 0, pad: 0, flow: false }));
    const line = pick(r, ['outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n', 'outboundTrafficPolicy:\n  mode: ALLOW_ANY\n', 'enableAutoMtls: false\n', 'defaultServiceExportTo: ["."]\n', 'defaultVirtualServiceExportTo: ["."]\n', 'defaultDestinationRuleExportTo: ["."]\n', 'connectTimeout: 3s\n', 'h2UpgradePolicy: UPGRADE\n', 'defaultHttpRetryPolicy:\n  attempts: 5\n', 'trustDomain: example.org\n'])!;
    p.doc.data = { ...(p.doc.data ?? {}), mesh: line };
    return `mesh config ${JSON.stringify(line)}`;
  },
};

const WORKLOADS: Mutation[] = [
  { name: 'workload added', apply: (s, r) => { const base = pick(r, s.workloads); if (!base) return null; s.workloads.push({ ...base, name: `${base.name}-extra`, address: `10.7.${Math.floor(r() * 200)}.${1 + Math.floor(r() * 200)}`, labels: { ...base.labels } }); return `workload ${base.name}-extra added`; } },
  { name: 'workload removed', apply: (s, r) => { const w = pick(r, s.workloads); if (!w) return null; s.workloads.splice(s.workloads.indexOf(w), 1); return `workload ${w.name} removed`; } },
  { name: 'workload relabelled', apply: (s, r) => { const w = pick(r, s.workloads) as Mutable<WorkloadInstance> | undefined; if (!w) return null; const labels: Record<string, string> = { ...w.labels }; const x = r(); if (x < 0.4) labels.version = pick(r, ['v1', 'v2', 'v3'])!; else if (x < 0.6) delete labels['security.istio.io/tlsMode']; else if (x < 0.8) labels['topology.kubernetes.io/zone'] = 'z2'; else labels.app = 'moved'; w.labels = labels; return `workload ${w.name} labels ${JSON.stringify(labels)}`; } },
  { name: 'workload re-addressed / ports', apply: (s, r) => { const w = pick(r, s.workloads) as Mutable<WorkloadInstance> | undefined; if (!w) return null; if (r() < 0.6) w.address = `10.6.${Math.floor(r() * 200)}.${1 + Math.floor(r() * 200)}`; else w.ports = { ...w.ports, web: 8181, http: 9090 }; return `workload ${w.name} address ${w.address} ports ${JSON.stringify(w.ports)}`; } },
  { name: 'workloads reordered', apply: (s, r) => { if (s.workloads.length < 2) WORKLOADS[0]!.apply(s, r); s.workloads.reverse(); return `${s.workloads.length} workloads reversed`; } },
];

const LAYOUT: Mutation[] = [
  { name: 'object order', apply: (s, r) => { if (s.placed.length < 2) return null; const i = Math.floor(r() * s.placed.length); const j = Math.floor(r() * s.placed.length); [s.placed[i], s.placed[j]] = [s.placed[j]!, s.placed[i]!]; return `objects ${i} and ${j} swapped (${id(s.placed[i]!.doc)}, ${id(s.placed[j]!.doc)})`; } },
  { name: 'object moved to another file', apply: (s, r) => { const p = pick(r, s.placed); if (!p) return null; p.file = 1 - p.file; return `${id(p.doc)} moved to file ${p.file}`; } },
  { name: 'object moved down some lines', apply: (s, r) => { const p = pick(r, s.placed); if (!p) return null; p.pad += 1 + Math.floor(r() * 3); return `${id(p.doc)} padded by ${p.pad} lines`; } },
  { name: 'object restyled (flow)', apply: (s, r) => { const p = pick(r, s.placed); if (!p) return null; p.flow = !p.flow; return `${id(p.doc)} flow=${p.flow}`; } },
  // The first one written is used: later swaps of the two (object order) change which.
  { name: 'object written twice', apply: (s, r) => {
    const p = pick(r, s.placed.filter((x) => ['VirtualService', 'DestinationRule'].includes(x.doc.kind)));
    if (!p) return null;
    const copy = structuredClone(p.doc);
    if (copy.kind === 'VirtualService') someHttpRoute(copy, r).timeout = `${1 + Math.floor(r() * 9)}s`;
    else (spec(copy).trafficPolicy ??= {}).outlierDetection = { consecutive5xxErrors: 1 + Math.floor(r() * 9) };
    const first = r() < 0.5;
    s.placed.splice(s.placed.indexOf(p) + (first ? 0 : 1), 0, { doc: copy, file: p.file, pad: 0, flow: false });
    return `${id(p.doc)} written again ${first ? 'before' : 'after'} itself, edited`;
  } },
  { name: 'number made non-finite', apply: (s, r) => {
    // JSON prints .inf, .nan and null alike: the edit must not pass for a move.
    // A route whose mirrorPercentage is null turns .inf (Envoy cannot encode it: the reload must fail as a fresh one does); else one gets null.
    const nulled = s.placed.filter((x) => x.doc.kind === 'VirtualService').flatMap((x) => httpRoutes(x.doc).filter((h) => h.mirrorPercentage?.value === null).map((h) => ({ x, h })));
    const found = pick(r, nulled);
    if (found) { found.h.mirrorPercentage = { value: Number.POSITIVE_INFINITY }; return `${id(found.x.doc)}: mirrorPercentage null → .inf`; }
    const p = pick(r, s.placed.filter((x) => x.doc.kind === 'VirtualService' && httpRoutes(x.doc).length > 0));
    if (!p) return null;
    const h = someHttpRoute(p.doc, r);
    h.mirror ??= { host: String(p.doc.spec?.hosts?.[0] ?? 'reviews') };
    h.mirrorPercentage = { value: null };
    return `${id(p.doc)}: mirrorPercentage null`;
  } },
];

/** What makes an object of a kind for a mutation that edits one when the state has none. */
const CREATE: Record<string, (s: MeshState, r: Rng) => unknown> = {
  ServiceEntry: (s, r) => SERVICE_ENTRY[0]!.apply(s, r),
  Sidecar: (s, r) => POLICY[0]!.apply(s, r),
};

/** Every mutation, grouped by what it touches. */
export const MUTATIONS: readonly Mutation[] = [...SERVICE, ...DESTINATION_RULE, ...VIRTUAL_SERVICE, ...SERVICE_ENTRY, ...POLICY, MESH_CONFIG, ...WORKLOADS, ...LAYOUT];

/** A document of `s` that is neither the first nor the last (so edits before it move the ones after). */
const midFile = (s: MeshState, r: Rng, ok: (p: Placed) => boolean): Placed | undefined => pick(r, s.placed.filter((p, i) => i > 0 && i < s.placed.length - 1 && ok(p)));

/** A pod workload document for `svc`'s selector, version v3. */
const deploymentFor = (svc: Doc, name: string): Doc => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns(svc) }, spec: { template: { metadata: { labels: { ...(svc.spec?.selector ?? {}), version: 'v3' } }, spec: { containers: [{ name: 'app' }] } } } });

/**
 * Edits that add, remove or reorder documents or lines in the middle of a file (as a cdk8s chart's
 * one file changes), so that every document after the edit moves: content unchanged, other document
 * index, lines or List item. Only VirtualServices, DestinationRules and pod workloads are edited;
 * the rest only moves (`MeshGraph.viewBase` must survive every one of them).
 */
export const MID_FILE: readonly Mutation[] = [
  { name: 'Deployment added before a Service', apply: (s, r) => {
    const p = midFile(s, r, (x) => x.doc.kind === 'Service' && Array.isArray(x.doc.spec?.ports));
    if (!p) return null;
    const name = `${p.doc.metadata.name}-v3-${Math.floor(r() * 1e4)}`;
    s.placed.splice(s.placed.indexOf(p), 0, { doc: deploymentFor(p.doc, name), file: p.file, pad: 0, flow: false });
    return `Deployment ${ns(p.doc)}/${name} added before ${id(p.doc)}`;
  } },
  { name: 'VirtualService grown by a match', apply: (s, r) => {
    const p = midFile(s, r, (x) => x.doc.kind === 'VirtualService' && httpRoutes(x.doc).length > 0);
    if (!p) return null;
    const first = httpRoutes(p.doc)[0]!;
    const added: Doc = { match: [{ uri: { prefix: `/grown${Math.floor(r() * 100)}` } }, { headers: { 'x-grown': { exact: 'yes' } } }], ...(first.route ? { route: structuredClone(first.route) } : first.redirect ? { redirect: structuredClone(first.redirect) } : { directResponse: { status: 204 } }) };
    p.doc.spec.http.unshift(added);
    return `${id(p.doc)}: a matched http route added first (${JSON.stringify(added.match)})`;
  } },
  { name: 'DestinationRule grown by a subset', apply: (s, r) => {
    const p = midFile(s, r, (x) => x.doc.kind === 'DestinationRule');
    if (!p) return null;
    const subsets: Doc[] = (spec(p.doc).subsets ??= []);
    subsets.push({ name: `grown${Math.floor(r() * 1e4)}`, labels: { version: 'v3', tier: 'grown' } });
    return `${id(p.doc)}: subset ${subsets.at(-1)!.name} added`;
  } },
  { name: 'document deleted mid-file', apply: (s, r) => {
    const p = midFile(s, r, (x) => ['VirtualService', 'DestinationRule'].includes(x.doc.kind) || (x.doc.kind === 'Deployment' && ns(x.doc) !== 'istio-system'));
    if (!p) return null;
    s.placed.splice(s.placed.indexOf(p), 1);
    return `${id(p.doc)} deleted`;
  } },
  { name: 'List item inserted', apply: (s, r) => {
    let list = s.placed.find((p) => p.doc.kind === 'List');
    if (!list) {
      // First, two to four documents from a Service on become one List document (they move into it).
      const p = midFile(s, r, (x) => x.doc.kind === 'Service' && Array.isArray(x.doc.spec?.ports));
      if (!p) return null;
      const at = s.placed.indexOf(p);
      const run = s.placed.slice(at, at + 2 + Math.floor(r() * 3)).filter((x) => x.file === p.file && x.doc.kind !== 'List');
      s.placed.splice(at, run.length, (list = { doc: { apiVersion: 'v1', kind: 'List', items: run.map((x) => x.doc) }, file: p.file, pad: 0, flow: false }));
    }
    const items: Doc[] = list.doc.items;
    const svc = items.find((d) => d.kind === 'Service' && d.spec?.selector) ?? pick(r, services(s));
    if (!svc) return null;
    const name = `${svc.metadata.name}-item-${Math.floor(r() * 1e4)}`;
    const i = Math.floor(r() * items.length);
    items.splice(i, 0, deploymentFor(svc, name));
    return `Deployment ${ns(svc)}/${name} inserted as List item ${i} of ${items.map(id).join(', ')}`;
  } },
  { name: 'document moved elsewhere in its file', apply: (s, r) => {
    const p = midFile(s, r, (x) => ['Service', 'ServiceEntry', 'Deployment', 'VirtualService', 'DestinationRule'].includes(x.doc.kind));
    if (!p) return null;
    s.placed.splice(s.placed.indexOf(p), 1);
    const same = s.placed.filter((x) => x.file === p.file);
    const before = pick(r, same);
    s.placed.splice(before ? s.placed.indexOf(before) : s.placed.length, 0, p);
    return `${id(p.doc)} moved before ${before ? id(before.doc) : 'the end'}`;
  } },
  ...LAYOUT.filter((m) => m.name === 'object moved down some lines' || m.name === 'object restyled (flow)'),
];
