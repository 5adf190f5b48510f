/**
 * A local HTTP server posing as the Kubernetes API server for list and watch of one or more
 * collections, serving responses in the exact wire shapes the API server uses (recorded from
 * `kubectl get --raw` / `-w -o json`): a `…List` with `metadata.resourceVersion`, and watch streams
 * of newline-delimited `{"type","object"}` events. The test drives it: emit events, end a watch,
 * answer the next watch with 410 Gone, replace the list. HTTPS with a certificate from the mesh PKI,
 * trusted through the kubeconfig's `certificate-authority-data`, as a real cluster is reached.
 */
import type * as http from 'node:http';
import * as https from 'node:https';
import { writeFileSync } from 'node:fs';
import { createCa, issueServerCertificate } from '../../src/pki/index.js';

export interface Collection {
  /** e.g. `/api/v1/pods` */
  readonly path: string;
  /** e.g. `PodList` */
  readonly listKind: string;
  readonly apiVersion: string;
  items: Record<string, unknown>[];
}

export interface FakeKubeApi {
  readonly port: number;
  /** Every request, as `GET <path>?<query>`, in order. */
  readonly requests: string[];
  /** Sends a watch event on every open watch of `path` and applies it to the list; bumps resourceVersion. */
  emit(path: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Record<string, unknown>): void;
  /** Replaces the collection's items without any watch event (what changed while no watch was open); bumps resourceVersion. */
  setItems(path: string, items: Record<string, unknown>[]): void;
  /** resourceVersion of the last event emitted on `path`. */
  lastEventVersion(path: string): string | undefined;
  /** Ends every open watch of `path` (the API server's watch timeout). */
  endWatches(path: string): void;
  /** The next watch of `path` is answered with HTTP 410 Gone (its resourceVersion is too old). */
  goneOnNextWatch(path: string): void;
  /** Open watches of `path`. */
  watching(path: string): number;
  /** Writes a kubeconfig pointing at this server into `file`. */
  writeKubeconfig(file: string): void;
  close(): Promise<void>;
}

/**
 * Answers a POST to `path` (e.g. `/apis/authentication.k8s.io/v1/tokenreviews`) given its JSON body:
 * the HTTP status and the JSON the API server would send.
 */
/** Answers a POST; a promise answers once it resolves (an API server that is slow to review). */
export type PostHandler = (body: Record<string, unknown>) => PostAnswer | Promise<PostAnswer>;
export interface PostAnswer { readonly code: number; readonly body: Record<string, unknown> }

export async function startFakeKubeApi(collections: Collection[], posts: Record<string, PostHandler> = {}): Promise<FakeKubeApi> {
  let rv = 1000;
  const byPath = new Map(collections.map((c) => [c.path, c]));
  const watches = new Map<string, Set<http.ServerResponse>>();
  const gone = new Set<string>();
  const lastEvent = new Map<string, string>();
  const requests: string[] = [];
  const ca = await createCa({ trustDomain: 'cluster.local' });
  const cert = await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'], dnsNames: ['kubernetes.default.svc'] });
  const server = https.createServer({ cert: cert.certificateChainPem, key: cert.privateKeyPem }, (req, res): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const post = req.method === 'POST' ? posts[url.pathname] : undefined;
    if (post) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void Promise.resolve(post(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)).then((answer) => {
          res.writeHead(answer.code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.body));
        });
      });
      return;
    }
    const c = byPath.get(url.pathname);
    if (!c) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    if (url.searchParams.get('watch') !== 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: c.listKind, apiVersion: c.apiVersion, metadata: { resourceVersion: String(rv) }, items: c.items }));
      return;
    }
    if (gone.delete(c.path)) {
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${url.searchParams.get('resourceVersion')} (${rv})`, reason: 'Expired', code: 410 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    let set = watches.get(c.path);
    if (!set) watches.set(c.path, (set = new Set()));
    set.add(res);
    res.on('close', () => set!.delete(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const keyOf = (o: Record<string, unknown>) => { const m = o.metadata as { namespace?: string; name?: string }; return `${m.namespace}/${m.name}`; };
  return {
    port, requests,
    emit(path, type, object) {
      const c = byPath.get(path)!;
      const obj = { ...object, metadata: { ...(object.metadata as object), resourceVersion: String(++rv) } };
      c.items = c.items.filter((i) => keyOf(i) !== keyOf(obj));
      if (type !== 'DELETED') c.items.push(obj);
      lastEvent.set(path, String(rv));
      for (const res of watches.get(path) ?? []) res.write(`${JSON.stringify({ type, object: obj })}\n`);
    },
    setItems(path, items) { byPath.get(path)!.items = items; rv++; },
    lastEventVersion: (path) => lastEvent.get(path),
    endWatches(path) { for (const res of watches.get(path) ?? []) res.end(); },
    goneOnNextWatch(path) { gone.add(path); },
    watching(path) { return watches.get(path)?.size ?? 0; },
    writeKubeconfig(file) {
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', 'current-context: fake',
        'clusters:', `- name: fake`, `  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${Buffer.from(ca.rootCertificatePem).toString('base64')}}`,
        'users:', '- name: fake', '  user: {token: test-token}',
        'contexts:', '- name: fake', '  context: {cluster: fake, user: fake}', '',
      ].join('\n'));
    },
    close: () => new Promise<void>((resolve) => {
      for (const set of watches.values()) for (const res of set) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A Pod as the API server returns it (trimmed to what a list really carries and the source reads). */
export function pod(namespace: string, name: string, ip: string, labels: Record<string, string>, ports: Record<string, number> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '1', labels },
    spec: { containers: [{ name: 'app', image: 'app:1', ports: Object.entries(ports).map(([n, p]) => ({ name: n, containerPort: p, protocol: 'TCP' })) }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

/** An EndpointSlice as the EndpointSlice controller writes it for a Service. */
export function endpointSlice(namespace: string, name: string, service: string, endpoints: { ip: string; pod: string; ready?: boolean }[], ports: Record<string, number>): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name, namespace, resourceVersion: '1', labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
      targetRef: { kind: 'Pod', namespace, name: e.pod, uid: `uid-${e.pod}` },
    })),
    ports: Object.entries(ports).map(([n, p]) => ({ name: n, port: p, protocol: 'TCP' })),
  };
}
