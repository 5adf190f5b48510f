/**
 * Adversarial inputs for bench/check/adversarial.ts: each case piles `n` objects onto one key
 * (one host, one port, one namespace, one workload, one certificate) so that a rule comparing
 * objects pairwise shows quadratic growth, and a rule listing every rival in each message shows
 * quadratic output. Every case is a valid mesh apart from the conflicts it is built to cause.
 */

type Obj = Record<string, unknown>;

export interface AdversarialCase {
  /** Stable, kebab-case; the CLI argument of adversarial-case.ts. */
  readonly name: string;
  /** What is piled up, for the table. */
  readonly shape: string;
  /** The rules the shape stresses. */
  readonly rules: readonly string[];
  /** The objects for size `n` (plus a few fixed ones: gateway pods, Services). */
  build(n: number): Obj[];
}

const meta = (name: string, namespace: string, labels?: Obj): Obj => ({ name, namespace, ...(labels ? { labels } : {}) });

const INGRESS = { istio: 'ingressgateway' };

/** The ingress gateway Deployment and its LoadBalancer Service (ports 80 and 443). */
function ingress(): Obj[] {
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('istio-ingressgateway', 'istio-system', INGRESS),
      spec: { selector: { matchLabels: INGRESS }, template: { metadata: { labels: INGRESS }, spec: { containers: [{ name: 'istio-proxy', image: 'auto', ports: [{ containerPort: 8080 }, { containerPort: 8443 }] }] } } },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta('istio-ingressgateway', 'istio-system', INGRESS),
      spec: { type: 'LoadBalancer', selector: INGRESS, ports: [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] },
    },
  ];
}

/** A Deployment and Service `name` in `ns` listening on 8080. */
function app(name: string, ns: string): Obj[] {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name, ns, labels),
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: `registry.example/${name}:1`, ports: [{ containerPort: 8080 }] }] } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta(name, ns), spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  ];
}

function gateway(name: string, servers: Obj[]): Obj {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta(name, 'edge'), spec: { selector: INGRESS, servers } };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export const CASES: readonly AdversarialCase[] = [
  {
    name: 'gateways-one-wildcard-host',
    shape: 'n Gateways on one workload, port 443 and 80, host *.example.com, one certificate',
    rules: ['gateway/conflicting-gateways', 'gateway/duplicate-certificate', 'gateway/http-without-https-redirect'],
    build: (n) => [
      ...ingress(),
      ...range(n).map((i) => gateway(`gw-${i}`, [
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*.example.com'], tls: { mode: 'SIMPLE', credentialName: 'wildcard-cert' } },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*.example.com'] },
      ])),
    ],
  },
  {
    name: 'gateways-nested-wildcards',
    shape: 'n Gateways on one workload, port 443, hosts *.t<i>.example.com and a.t<i>.example.com (no conflict)',
    rules: ['gateway/conflicting-gateways', 'gateway/http-without-https-redirect'],
    build: (n) => [
      ...ingress(),
      ...range(n).map((i) => gateway(`gw-${i}`, [
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: [`*.t${i}.example.com`, `a.t${i}.example.com`], tls: { mode: 'SIMPLE', credentialName: `cert-${i}` } },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`*.t${i}.example.com`], tls: { httpsRedirect: true } },
      ])),
    ],
  },
  {
    name: 'mesh-virtualservices-one-host',
    shape: 'n mesh VirtualServices for the host reviews',
    rules: ['routing/conflicting-mesh-hosts'],
    build: (n) => [
      ...app('reviews', 'shop'),
      ...range(n).map((i) => ({
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(`reviews-${i}`, 'shop'),
        spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', port: { number: 80 } } }] }] },
      })),
    ],
  },
  {
    name: 'gateway-virtualservices-one-host',
    shape: 'n VirtualServices binding shop.example.com on one Gateway, one prefix each',
    rules: ['routing/*', 'references/*'],
    build: (n) => [
      ...ingress(),
      ...app('web', 'shop'),
      gateway('shop', [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*/shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } }]),
      ...range(n).map((i) => ({
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(`shop-${i}`, 'shop'),
        spec: { hosts: ['shop.example.com'], gateways: ['edge/shop'], http: [{ match: [{ uri: { prefix: `/p${i}/` } }], route: [{ destination: { host: 'web', port: { number: 80 } } }] }] },
      })),
    ],
  },
  {
    name: 'wildcard-virtualservices-and-serviceentries',
    shape: 'n mesh VirtualServices for *.s<i>.example.com and n ServiceEntries for api.s<i>.example.com',
    rules: ['references/*', 'routing/*'],
    build: (n) => range(n).flatMap((i) => [
      {
        apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(`api-${i}`, 'ext'),
        spec: { hosts: [`api.s${i}.example.com`], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] },
      },
      {
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(`wild-${i}`, 'ext'),
        spec: { hosts: [`*.s${i}.example.com`], tls: [{ match: [{ port: 443, sniHosts: [`api.s${i}.example.com`] }], route: [{ destination: { host: `api.s${i}.example.com`, port: { number: 443 } } }] }] },
      },
    ]),
  },
  {
    name: 'destinationrules-one-host',
    shape: 'n DestinationRules for the host reviews, one subset each',
    rules: ['references/*', 'routing/unused-subset'],
    build: (n) => [
      ...app('reviews', 'shop'),
      ...range(n).map((i) => ({
        apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(`reviews-${i}`, 'shop'),
        spec: { host: 'reviews', subsets: [{ name: `v${i}`, labels: { app: 'reviews' } }] },
      })),
    ],
  },
  {
    name: 'default-sidecars-one-namespace',
    shape: 'n Sidecars without workloadSelector in one namespace',
    rules: ['sidecar/multiple-default-sidecars'],
    build: (n) => [
      ...app('web', 'shop'),
      ...range(n).map((i) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta(`default-${i}`, 'shop'), spec: { egress: [{ hosts: ['./*'] }] } })),
    ],
  },
  {
    name: 'sidecars-one-workload',
    shape: 'n Sidecars selecting the same workload',
    rules: ['sidecar/workload-selected-twice'],
    build: (n) => [
      ...app('web', 'shop'),
      ...range(n).map((i) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta(`web-${i}`, 'shop'), spec: { workloadSelector: { labels: { app: 'web' } }, egress: [{ hosts: ['./*'] }] } })),
    ],
  },
  {
    name: 'serviceentries-one-host-port',
    shape: 'n ServiceEntries for api.example.com:443, protocols HTTPS and TLS alternating',
    rules: ['serviceentry/conflicting-protocols'],
    build: (n) => range(n).map((i) => ({
      apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(`api-${i}`, 'ext'),
      spec: { hosts: ['api.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: `p${i}`, protocol: i % 2 === 0 ? 'HTTPS' : 'TLS' }] },
    })),
  },
  {
    name: 'one-virtualservice-many-rules',
    shape: 'one VirtualService with n http rules, one prefix each',
    rules: ['routing/unreachable-rule', 'routing/ineffective-match'],
    build: (n) => [
      ...app('web', 'shop'),
      {
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta('web', 'shop'),
        spec: { hosts: ['web'], http: [...range(n).map((i) => ({ match: [{ uri: { prefix: `/p${i}/` } }], route: [{ destination: { host: 'web', port: { number: 80 } } }] })), { route: [{ destination: { host: 'web', port: { number: 80 } } }] }] },
      },
    ],
  },
  {
    name: 'policies-one-namespace',
    shape: 'n workloads with their Services, n PeerAuthentications and AuthorizationPolicies selecting one each',
    rules: ['security/*'],
    build: (n) => range(n).flatMap((i) => [
      ...app(`svc-${i}`, 'shop'),
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta(`svc-${i}`, 'shop'), spec: { selector: { matchLabels: { app: `svc-${i}` } }, mtls: { mode: 'STRICT' } } },
      {
        apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta(`svc-${i}`, 'shop'),
        spec: { selector: { matchLabels: { app: `svc-${i}` } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [`cluster.local/ns/shop/sa/svc-${(i + 1) % n}`] } }] }] },
      },
    ]),
  },
];
