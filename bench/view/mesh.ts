/** The generated mesh bench/view measures. */
const NAMESPACES = 10;

/** A mesh of `n` services in 10 injected namespaces: Service, Deployment (v1, v2), VirtualService (90/10 split, retries, timeout), DestinationRule (2 subsets), and an ingress Gateway routing to every 10th service. */
export function meshOf(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < NAMESPACES; i++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${i}`, labels: { 'istio-injection': 'enabled' } } });
  out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
  out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' }, spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy', args: ['proxy', 'router'] }] } } } });
  out.push({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/*.example.com'] }] } });
  for (let i = 0; i < n; i++) {
    const ns = `ns${i % NAMESPACES}`;
    const name = `svc${i}`;
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 8080, name: 'http' }] } });
    out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { template: { metadata: { labels: { app: name, version: 'v1' } }, spec: { containers: [{ name: 'app' }] } } } });
    out.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec: { host: name, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } });
    out.push({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ns }, spec: {
      hosts: [name, ...(i % 10 === 0 ? [`${name}.example.com`] : [])], gateways: ['mesh', ...(i % 10 === 0 ? ['istio-system/public'] : [])],
      http: [
        { match: [{ headers: { 'x-canary': { exact: '1' } } }], route: [{ destination: { host: name, subset: 'v2' } }] },
        { route: [{ destination: { host: name, subset: 'v1' }, weight: 90 }, { destination: { host: name, subset: 'v2' }, weight: 10 }], timeout: '2s', retries: { attempts: 3 } },
      ],
    } });
  }
  return out;
}

