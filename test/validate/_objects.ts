/** Valid Istio objects, one per kind, as they appear in manifests; tests mutate copies. */

const meta = (name: string) => ({ name, namespace: 'default' });

export const virtualService = () => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta('reviews'),
  spec: {
    hosts: ['reviews'],
    gateways: ['mesh'],
    http: [
      {
        name: 'canary',
        match: [{ uri: { prefix: '/api' }, headers: { 'x-user': { exact: 'tester' } } }],
        timeout: '5s',
        retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' },
        route: [
          { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 90 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
        ],
      },
      {
        fault: { delay: { percentage: { value: 10 }, fixedDelay: '100ms' }, abort: { percentage: { value: 1.5 }, httpStatus: 503 } },
        route: [{ destination: { host: 'reviews', subset: 'v1' } }],
      },
    ],
  },
});

export const destinationRule = () => ({
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta('reviews'),
  spec: {
    host: 'reviews.default.svc.cluster.local',
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: '30ms' }, http: { http1MaxPendingRequests: 10, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 10 },
      loadBalancer: { simple: 'LEAST_REQUEST' },
      tls: { mode: 'ISTIO_MUTUAL' },
    },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } },
    ],
  },
});

export const gateway = () => ({
  apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('public'),
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*.example.com'], tls: { httpsRedirect: true } },
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*.example.com'], tls: { mode: 'SIMPLE', credentialName: 'example-cert' } },
    ],
  },
});

export const serviceEntry = () => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta('payments'),
  spec: {
    hosts: ['api.payments.example'],
    location: 'MESH_EXTERNAL',
    ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
    resolution: 'DNS',
  },
});

export const sidecar = () => ({
  apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta('default'),
  spec: {
    workloadSelector: { labels: { app: 'reviews' } },
    egress: [{ hosts: ['./*', 'istio-system/*'] }],
    outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
  },
});

export const peerAuthentication = () => ({
  apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta('reviews'),
  spec: { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '9080': { mode: 'PERMISSIVE' } } },
});

export const authorizationPolicy = () => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('reviews'),
  spec: {
    selector: { matchLabels: { app: 'reviews' } },
    action: 'ALLOW',
    rules: [{
      from: [{ source: { principals: ['cluster.local/ns/default/sa/productpage'] } }],
      to: [{ operation: { methods: ['GET'], paths: ['/reviews/*'] } }],
      when: [{ key: 'request.headers[x-user]', values: ['tester'] }],
    }],
  },
});

/** Valid Gateway API objects (v1.4.1, experimental channel), as users write them: defaulted fields left out. */
const GATEWAY_API = 'gateway.networking.k8s.io';
const parentRefs = [{ name: 'edge', namespace: 'istio-ingress' }];

export const gatewayClass = () => ({
  apiVersion: `${GATEWAY_API}/v1`, kind: 'GatewayClass', metadata: { name: 'istio' },
  spec: { controllerName: 'istio.io/gateway-controller' },
});

export const k8sGateway = () => ({
  apiVersion: `${GATEWAY_API}/v1`, kind: 'Gateway', metadata: { name: 'edge', namespace: 'istio-ingress' },
  spec: {
    gatewayClassName: 'istio',
    listeners: [
      { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { certificateRefs: [{ name: 'shop-cert' }] } },
      { name: 'tls', port: 8443, protocol: 'TLS', tls: { mode: 'Passthrough' } },
    ] as Record<string, unknown>[],
  },
});

export const httpRoute = () => ({
  apiVersion: `${GATEWAY_API}/v1`, kind: 'HTTPRoute', metadata: meta('reviews'),
  spec: {
    parentRefs: parentRefs as Record<string, unknown>[],
    hostnames: ['shop.example.com'],
    rules: [
      {
        matches: [{ path: { value: '/reviews' } }, { headers: [{ name: 'x-user', value: 'tester' }] }],
        backendRefs: [{ name: 'reviews', port: 9080, weight: 90 }, { name: 'reviews-v2', port: 9080, weight: 10 }] as Record<string, unknown>[],
        timeouts: { request: '10s', backendRequest: '2s' },
      },
      {
        filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
        matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
        backendRefs: [{ name: 'reviews', port: 9080 }],
      },
    ] as { backendRefs: Record<string, unknown>[]; [field: string]: unknown }[],
  },
});

export const grpcRoute = () => ({
  apiVersion: `${GATEWAY_API}/v1`, kind: 'GRPCRoute', metadata: meta('search'),
  spec: {
    parentRefs,
    rules: [{ matches: [{ method: { service: 'search.v1.Search', method: 'Query' } }], backendRefs: [{ name: 'search', port: 50051 }] as Record<string, unknown>[] }],
  },
});

export const tcpRoute = () => ({
  apiVersion: `${GATEWAY_API}/v1alpha2`, kind: 'TCPRoute', metadata: meta('db'),
  spec: { parentRefs: [{ name: 'edge', namespace: 'istio-ingress', sectionName: 'tcp' }], rules: [{ backendRefs: [{ name: 'db', port: 5432 }] as Record<string, unknown>[] }] },
});

export const tlsRoute = () => ({
  apiVersion: `${GATEWAY_API}/v1alpha2`, kind: 'TLSRoute', metadata: meta('secure'),
  spec: { parentRefs, hostnames: ['secure.example.com'], rules: [{ backendRefs: [{ name: 'secure', port: 443 }] as Record<string, unknown>[] }] },
});

export const udpRoute = () => ({
  apiVersion: `${GATEWAY_API}/v1alpha2`, kind: 'UDPRoute', metadata: meta('dns'),
  spec: { parentRefs, rules: [{ backendRefs: [{ name: 'dns', port: 53 }] as Record<string, unknown>[] }] },
});

export const referenceGrant = () => ({
  apiVersion: `${GATEWAY_API}/v1beta1`, kind: 'ReferenceGrant', metadata: meta('allow-ingress'),
  spec: { from: [{ group: GATEWAY_API, kind: 'HTTPRoute', namespace: 'istio-ingress' }], to: [{ group: '', kind: 'Service' }] as Record<string, unknown>[] },
});

export const backendTlsPolicy = () => ({
  apiVersion: `${GATEWAY_API}/v1`, kind: 'BackendTLSPolicy', metadata: meta('reviews-tls'),
  spec: {
    targetRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
    validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }], hostname: 'reviews.default.svc' } as Record<string, unknown>,
  },
});

export const listenerSet = () => ({
  apiVersion: `${GATEWAY_API}/v1`, kind: 'ListenerSet', metadata: meta('extra'),
  spec: { parentRef: { name: 'edge', namespace: 'istio-ingress' }, listeners: [{ name: 'extra', port: 8080, protocol: 'HTTP' }] as Record<string, unknown>[] },
});
