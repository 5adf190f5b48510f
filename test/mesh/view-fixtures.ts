/** Small object builders for per-proxy view tests. */
type Obj = Record<string, unknown>;

export const ns = (name: string, labels: Record<string, string> = { 'istio-injection': 'enabled' }): Obj =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

export const svc = (name: string, namespace: string, ports: Obj[] = [{ port: 9080, name: 'http' }], meta: Obj = {}): Obj =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, ...meta }, spec: { selector: { app: name }, ports } });

export const deploy = (name: string, namespace: string, labels: Record<string, string>, podMeta: Obj = {}): Obj =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { template: { metadata: { labels, ...podMeta }, spec: { containers: [{ name: 'app' }] } } } });

export const vs = (name: string, namespace: string, spec: Obj, meta: Obj = {}): Obj =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace, ...meta }, spec });

export const dr = (name: string, namespace: string, spec: Obj, meta: Obj = {}): Obj =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace, ...meta }, spec });

export const gw = (name: string, namespace: string, servers: Obj[], selector: Record<string, string> = { istio: 'ingressgateway' }): Obj =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace }, spec: { selector, servers } });

export const sidecar = (name: string, namespace: string, spec: Obj): Obj =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace }, spec });

export const route = (host: string, extra: Obj = {}): Obj => ({ destination: { host, ...extra } });
