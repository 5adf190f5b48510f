import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';

type Obj = Record<string, unknown>;

/**
 * A realistic mesh of about `target` objects spread over namespaces of 100 services each: per
 * service a ServiceAccount, two Deployments, a Service, a DestinationRule and a VirtualService
 * (weighted split, retries, timeout); per namespace a Namespace, STRICT PeerAuthentication,
 * default-deny and allow AuthorizationPolicies, a Sidecar and an egress ServiceEntry with its
 * DestinationRule; plus mesh-wide mTLS and an ingress gateway. Written as one file per namespace.
 */
export function writeMesh(dir: string, target: number): number {
  fs.mkdirSync(dir, { recursive: true });
  const perNamespace = 100;
  const objectsFor = (s: number) => platform().length + 6 * s + namespaceObjects('x').length * Math.ceil(s / perNamespace);
  let services = 1;
  while (objectsFor(services) < target) services++;
  let count = 0;
  const write = (file: string, objs: Obj[]) => {
    fs.writeFileSync(path.join(dir, file), objs.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
    count += objs.length;
  };
  write('platform.yaml', platform());
  for (let first = 0, n = 0; first < services; first += perNamespace, n++) {
    const ns = `team-${n}`;
    const objs: Obj[] = namespaceObjects(ns);
    for (let i = first; i < Math.min(services, first + perNamespace); i++) objs.push(...serviceObjects(ns, `svc-${i}`));
    write(`${ns}.yaml`, objs);
  }
  return count;
}

function meta(name: string, namespace?: string, labels?: Obj): Obj {
  return { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) };
}

function platform(): Obj[] {
  const labels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('istio-ingress') },
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta('default', 'istio-system'), spec: { mtls: { mode: 'STRICT' } } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('istio-ingressgateway', 'istio-ingress', labels),
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'istio-proxy', image: 'auto', ports: [{ containerPort: 8080 }, { containerPort: 8443 }] }] } } },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta('istio-ingressgateway', 'istio-ingress', labels),
      spec: { type: 'LoadBalancer', selector: labels, ports: [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] },
    },
  ];
}

function namespaceObjects(ns: string): Obj[] {
  const ext = `api-${ns}.example.com`;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns, undefined, { 'istio-injection': 'enabled' }) },
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta('default', ns), spec: { mtls: { mode: 'STRICT' } } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('allow-nothing', ns), spec: {} },
    {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('allow-same-namespace', ns),
      spec: { action: 'ALLOW', rules: [{ from: [{ source: { namespaces: [ns] } }], to: [{ operation: { methods: ['GET', 'POST'] } }] }] },
    },
    { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta('default', ns), spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta('external-api', ns),
      spec: { hosts: [ext], location: 'MESH_EXTERNAL', resolution: 'DNS', exportTo: ['.'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] },
    },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta('external-api', ns),
      spec: { host: ext, exportTo: ['.'], trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } }, outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } } },
    },
  ];
}

function serviceObjects(ns: string, name: string): Obj[] {
  const host = `${name}.${ns}.svc.cluster.local`;
  const deployment = (v: string): Obj => {
    const labels = { app: name, version: v };
    return {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(`${name}-${v}`, ns, labels),
      spec: {
        replicas: 2, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name, automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true },
            containers: [{
              name, image: `registry.example/${name}:${v}`, ports: [{ containerPort: 8080 }],
              resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
            }],
          },
        },
      },
    };
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, ns), automountServiceAccountToken: false },
    deployment('v1'),
    deployment('v2'),
    { apiVersion: 'v1', kind: 'Service', metadata: meta(name, ns), spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(name, ns),
      spec: {
        host,
        trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' }, outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } },
        subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(name, ns),
      spec: {
        hosts: [name],
        http: [
          { name: 'canary-pin', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [{ destination: { host: name, subset: 'v2' } }] },
          {
            name: 'split', timeout: '10s', retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' },
            route: [{ destination: { host: name, subset: 'v1' }, weight: 90 }, { destination: { host: name, subset: 'v2' }, weight: 10 }],
          },
        ],
      },
    },
  ];
}
