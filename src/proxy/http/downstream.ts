/**
 * The downstream side of one request, over the HTTP/1.1 fast path (`H1ServerRequest` /
 * `H1ServerResponse`, plaintext connections), node's HTTP/1.1 (`IncomingMessage`/`ServerResponse`,
 * over TLS) and HTTP/2 compatibility API (`Http2ServerRequest`/`Http2ServerResponse`): request headers for the
 * upstream, local replies (Envoy's shape, and gRPC's trailers-only form for gRPC requests), and the
 * response sink.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import { H1ServerRequest, type H1ServerResponse } from './h1-server-exchange.js';
import type { LocalReply, ResponseSink } from './pipeline.js';

/** The raw TCP socket behind a wrapped stream (TLS, peeked HTTP/2): where remote/local addresses are read. */
export const RAW_SOCKET = Symbol('meshproof.raw-socket');
/** The TLS socket behind a wrapped stream (HTTP/2 over TLS): peer certificates, ALPN. */
export const TLS_SOCKET = Symbol('meshproof.tls-socket');

export type DownstreamRequest = IncomingMessage | Http2ServerRequest | H1ServerRequest;
export type DownstreamResponse = ServerResponse | Http2ServerResponse | H1ServerResponse;

/** The request body stream, or null when the request has none (HTTP/2: END_STREAM on HEADERS; HTTP/1.1: no Content-Length > 0 and no Transfer-Encoding). */
export function requestBody(req: DownstreamRequest): Readable | null {
  if (req instanceof H1ServerRequest) return req.body;
  if ('stream' in req) return (req.stream as { endAfterHeaders?: boolean }).endAfterHeaders ? null : req;
  const cl = req.headers['content-length'];
  return (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined ? req : null;
}

/**
 * `%BYTES_RECEIVED%` of a request without Content-Length (a chunked body): the body bytes the
 * HTTP/1.1 fast path parsed (after chunked decoding, as Envoy counts decoded body bytes). Node's
 * servers (TLS, HTTP/2) keep no such count: 0 there.
 */
export function bodyBytesReceived(req: DownstreamRequest): number {
  return req instanceof H1ServerRequest ? req.bodyBytes : 0;
}

/**
 * Request headers never forwarded upstream as the client sent them: hop-by-hop ones (undici refuses
 * several), `host` (set from the authority), and `x-forwarded-proto`, which the proxy sets from the
 * downstream connection: with no trusted hops (`xff_num_trusted_hops` 0, Istio's default) Envoy
 * overwrites a client's value (ConnectionManagerUtility::mutateRequestHeaders).
 */
const DROP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings', 'host', 'expect', 'trailer', 'x-forwarded-proto']);
const DROP_LENGTHS = new Set([...DROP_REQUEST].map((n) => n.length));

/**
 * The upstream header list from the downstream raw headers: pseudo-headers and hop-by-hop headers
 * dropped (`te: trailers` kept for gRPC), then `host`. Names keep the client's spelling; values are
 * as node validated them (no CR/LF can pass node's parser).
 */
export function upstreamHeaders(rawHeaders: readonly string[], authority: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const c = name.charCodeAt(0);
    if (c === 58) continue; // ':' pseudo-header
    // Only names as long as a dropped one are lower-cased (most headers are kept as they are).
    const lower = DROP_LENGTHS.has(name.length) ? name.toLowerCase() : '';
    if (lower !== '' && DROP_REQUEST.has(lower)) {
      if (lower === 'te' && rawHeaders[i + 1]!.toLowerCase() === 'trailers') out.push('te', 'trailers');
      // Envoy's HCM answers `Expect: 100-continue` itself and removes it; another expectation is forwarded.
      else if (lower === 'expect' && rawHeaders[i + 1]!.toLowerCase() !== '100-continue') out.push(name, rawHeaders[i + 1]!);
      continue;
    }
    out.push(name, rawHeaders[i + 1]!);
  }
  out.push('host', authority);
  return out;
}

/** Flat list → header object (multiple values as arrays), for node:http2. */
export function headerObject(flat: readonly string[]): Record<string, string | string[]> {
  const o: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const k = flat[i]!.toLowerCase();
    const v = flat[i + 1]!;
    const prev = o[k];
    o[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return o;
}

/** Whether the request carries gRPC (content-type application/grpc…). */
export function isGrpcRequest(req: DownstreamRequest): boolean {
  const ct = req.headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc');
}

/** Envoy's `Grpc::Utility::httpToGrpcStatus`. */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

function isHttp2(res: DownstreamResponse): res is Http2ServerResponse {
  return 'stream' in res;
}

/** Writes response headers from a flat list. */
export function writeHead(res: DownstreamResponse, status: number, headers: readonly string[]): void {
  if (isHttp2(res)) res.writeHead(status, headerObject(headers) as never);
  else (res as ServerResponse).writeHead(status, headers as string[]);
}

/**
 * Sends a local reply (Envoy's local reply: `content-type: text/plain`, the body, `content-length`).
 * For a gRPC request the reply is trailers-only: HTTP 200, `grpc-status` from the HTTP status,
 * `grpc-message` the body. Returns the body bytes sent.
 */
export function sendLocalReply(req: DownstreamRequest, res: DownstreamResponse, reply: LocalReply, closeConnection: boolean): number {
  if (res.headersSent) {
    (res as ServerResponse).destroy();
    return 0;
  }
  const extra = reply.headers ?? [];
  if (isGrpcRequest(req) && (reply.status >= 400 || reply.grpcStatus !== undefined)) {
    const status = ['grpc-status', String(reply.grpcStatus ?? httpToGrpcStatus(reply.status)), 'grpc-message', encodeURIComponent(reply.body ?? '').slice(0, 1024)];
    if (isHttp2(res)) {
      // Status in trailers: node's compatibility API cannot end the stream on the HEADERS frame.
      writeHead(res, 200, ['content-type', 'application/grpc', ...extra]);
      res.addTrailers(headerObject(status));
    } else {
      writeHead(res, 200, ['content-type', 'application/grpc', ...status, ...extra]);
    }
    (res as ServerResponse).end();
    return 0;
  }
  const body = reply.body ?? '';
  const h: string[] = [...extra];
  if (body !== '' && !hasHeader(extra, 'content-type')) h.push('content-type', 'text/plain');
  h.push('content-length', String(Buffer.byteLength(body)));
  if (closeConnection && !isHttp2(res)) h.push('connection', 'close');
  writeHead(res, reply.status, h);
  (res as ServerResponse).end(body);
  return Buffer.byteLength(body);
}

function hasHeader(flat: readonly string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === name) return true;
  return false;
}

/** A sink writing to the downstream response; trailers go out on HTTP/2 only (HTTP/1.1 responses here are not chunked with trailers). */
export function responseSink(res: DownstreamResponse, counter: { bytesSent: number }): ResponseSink {
  return new DownstreamSink(res, counter);
}

/** One object per response, no closures (it is made for every forwarded request). */
class DownstreamSink implements ResponseSink {
  constructor(private readonly res: DownstreamResponse, private readonly counter: { bytesSent: number }) {}

  write(chunk: Buffer): boolean {
    this.counter.bytesSent += chunk.length;
    return (this.res as ServerResponse).write(chunk);
  }

  end(trailers?: readonly string[]): void {
    const res = this.res;
    if (trailers && trailers.length > 0 && isHttp2(res)) res.addTrailers(headerObject(trailers));
    (res as ServerResponse).end();
  }

  onDrain(resume: () => void): void {
    (this.res as ServerResponse).on('drain', resume);
  }
}
