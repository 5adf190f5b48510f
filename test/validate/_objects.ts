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
