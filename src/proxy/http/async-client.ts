/**
 * The core's async client (Envoy's `Http::AsyncClient` of a cluster): one buffered request to a
 * cluster through the same load balancer, connection pools and transport socket (TLS,
 * ISTIO_MUTUAL) as routed traffic, for filters that call a service themselves (ext_authz).
 *
 * Bounded: the whole exchange has a deadline, and a response body longer than the caller's limit
 * fails the request instead of being buffered (Envoy buffers an async response whole; a proxy under
 * test must not grow without limit on a misbehaving authorization server).
 */
import type { ClusterManager } from './cluster-manager.js';
import { type AsyncClient, AsyncClientError, type AsyncRequest, type AsyncResponse, type Exchange, type ResponseSink, type UpstreamResponse } from './pipeline.js';
import { forwardHttp1 } from './upstream-http1.js';

/** A stand-in exchange for the balancer and the HTTP/1.1 attempt: the request's attributes and the client's abort signal. */
function standIn(cluster: string, r: AsyncRequest, signal: AbortSignal): Exchange {
  const headers: Record<string, string> = {};
  for (let i = 0; i < r.headers.length; i += 2) headers[r.headers[i]!] = r.headers[i + 1]!;
  return {
    downstream: { remoteAddress: '', remotePort: 0, localAddress: '', localPort: 0, listener: '', protocol: r.http2 ? 'HTTP/2' : 'HTTP/1.1', tls: undefined },
    method: r.method, path: r.path, authority: r.authority, scheme: 'http', headers, decision: undefined, clusterName: cluster, flags: [], details: '',
    body: r.body, upstreamHost: undefined, attempts: 0, signal, state: new Map(),
  };
}

/** Collects a response body up to `max` bytes; past it, calls `overflow` once. */
class BufferSink implements ResponseSink {
  readonly chunks: Buffer[] = [];
  size = 0;
  trailers: readonly string[] = [];
  constructor(private readonly max: number, private readonly overflow: () => void) {}
  write(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.max) { this.overflow(); return true; }
    this.chunks.push(chunk);
    return true;
  }
  end(trailers?: readonly string[]): void { this.trailers = trailers ?? []; }
  onDrain(): void {}
}

/** The async client over a proxy's clusters. */
export function createAsyncClient(clusters: ClusterManager): AsyncClient {
  return {
    send(name, r) {
      const cluster = clusters.get(name);
      if (!cluster) return Promise.reject(new AsyncClientError('no_cluster', `cluster "${name}" is not known`));
      const ctrl = new AbortController();
      const ex = standIn(name, r, ctrl.signal);
      const host = cluster.lb.choose(ex);
      if (!host) {
        cluster.stats.upstream_cx_none_healthy++;
        return Promise.reject(new AsyncClientError('no_healthy_upstream', `cluster "${name}" has no healthy upstream`));
      }
      const stats = cluster.stats;
      stats.upstream_rq_total++;
      stats.upstream_rq_active++;
      host.active++;
      const timer = r.timeoutMs > 0 ? setTimeout(() => ctrl.abort(new AsyncClientError('timeout', `no complete response within ${r.timeoutMs} ms`)), r.timeoutMs) : undefined;
      const onCallerAbort = () => ctrl.abort(new AsyncClientError('aborted', 'the request was cancelled'));
      if (r.signal?.aborted) onCallerAbort(); else r.signal?.addEventListener('abort', onCallerAbort, { once: true });
      const protocol = r.http2 ? 'http2' : cluster.config.protocol === 'http2' ? 'http2' : 'http1';
      let sent: Promise<UpstreamResponse>;
      if (protocol === 'http2') {
        sent = cluster.http2(host).forward(r.method, r.path, 'http', r.authority, r.headers, r.body, ctrl.signal);
        const done = () => { stats.upstream_rq_active--; host.active--; };
        sent.then(done, done);
      } else {
        sent = forwardHttp1(cluster.pool(host), host, stats, r.method, r.path, [...r.headers, 'host', r.authority], r.body, ex, undefined, true);
      }
      const failure = (e: unknown): AsyncClientError => {
        const reason = ctrl.signal.reason;
        if (ctrl.signal.aborted && reason instanceof AsyncClientError) return reason;
        return new AsyncClientError('reset', `upstream reset: ${(e as Error)?.message ?? String(e)}`);
      };
      const settle = () => { if (timer) clearTimeout(timer); r.signal?.removeEventListener('abort', onCallerAbort); };
      return sent.then(async (response): Promise<AsyncResponse> => {
        const sink = new BufferSink(r.maxResponseBytes, () => ctrl.abort(new AsyncClientError('too_large', `response body over ${r.maxResponseBytes} bytes`)));
        await response.pipe(sink);
        if (ctrl.signal.aborted) throw ctrl.signal.reason;
        return { status: response.status, headers: response.headers, body: Buffer.concat(sink.chunks), trailers: sink.trailers };
      }).then((res) => { settle(); return res; }, (e: unknown) => { settle(); throw failure(e); });
    },
  };
}
