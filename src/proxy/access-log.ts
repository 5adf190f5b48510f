/**
 * Access log in Envoy's default format (`source/common/formatter`, DEFAULT_FORMAT):
 *
 *   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
 *   %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
 *   "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
 *
 * followed here by `%UPSTREAM_CLUSTER%` and `%RESPONSE_CODE_DETAILS%` (as Istio's format adds).
 * Missing values print `-`. Entries are queued on the request path and formatted and written off it,
 * in batches (every 100 ms or 512 entries), so logging costs a request one array push.
 */

/** One finished request (or connection-level error). */
export interface AccessLogEntry {
  /** Epoch milliseconds when the request started. */
  readonly startMs: number;
  readonly method: string;
  /** `:path`, or x-envoy-original-path when a rewrite changed it. */
  readonly path: string;
  /** `HTTP/1.1`, `HTTP/2`, or `-`. */
  readonly protocol: string;
  readonly status: number;
  /** Envoy response flags, e.g. ['UF', 'URX']. */
  readonly flags: readonly string[];
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly durationMs: number;
  readonly upstreamServiceTimeMs: number | undefined;
  readonly xForwardedFor: string | undefined;
  readonly userAgent: string | undefined;
  readonly requestId: string | undefined;
  readonly authority: string | undefined;
  /** `ip:port` of the upstream host, if one was chosen. */
  readonly upstreamHost: string | undefined;
  readonly upstreamCluster: string | undefined;
  readonly details: string | undefined;
  /** `%DOWNSTREAM_PEER_URI_SAN%`: the verified client certificate's SPIFFE ID, when TLS was terminated with a client certificate; printed last, quoted, only when set. */
  readonly downstreamPeerUriSan?: string;
}

const NEEDS_ESCAPE = /["\\\r\n]/;
const q = (v: string | undefined) => (v === undefined || v === '' ? '"-"'
  : NEEDS_ESCAPE.test(v) ? `"${v.replace(/["\\\r\n]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"` : `"${v}"`);
const d = (v: string | number | undefined) => (v === undefined || v === '' ? '-' : String(v));

let lastMs = Number.NaN;
let lastIso = '';
/** `%START_TIME%`; entries of a batch mostly share their millisecond, so the last one is reused. */
function startTime(ms: number): string {
  if (ms !== lastMs) { lastMs = ms; lastIso = new Date(ms).toISOString(); }
  return lastIso;
}

/** Formats one entry as one line (newline included). */
export function formatAccessLog(e: AccessLogEntry): string {
  return `[${startTime(e.startMs)}] "${e.method} ${e.path} ${e.protocol}" ${e.status} ${e.flags.length > 0 ? e.flags.join(',') : '-'} `
    + `${e.bytesReceived} ${e.bytesSent} ${Math.round(e.durationMs)} ${d(e.upstreamServiceTimeMs)} `
    + `${q(e.xForwardedFor)} ${q(e.userAgent)} ${q(e.requestId)} ${q(e.authority)} ${q(e.upstreamHost)} ${d(e.upstreamCluster)} ${d(e.details)}${e.downstreamPeerUriSan ? ` ${q(e.downstreamPeerUriSan)}` : ''}\n`;
}

export interface AccessLogOptions {
  /** Receives formatted batches. */
  readonly write: (text: string) => void;
  /** Flush interval. @default 100 */
  readonly flushMs?: number;
  /** Entries that trigger an immediate flush. @default 512 */
  readonly maxBatch?: number;
}

/** A buffered access log. `log` is cheap; `flush` formats and writes; `close` flushes and stops the timer. */
export class AccessLog {
  private queue: AccessLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Listeners that see every entry (tests, the admin server); called at flush time. */
  readonly taps = new Set<(e: AccessLogEntry) => void>();

  constructor(private readonly options: AccessLogOptions) {}

  log(e: AccessLogEntry): void {
    this.queue.push(e);
    if (this.queue.length >= (this.options.maxBatch ?? 512)) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.flushMs ?? 100);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    let text = '';
    for (const e of batch) {
      text += formatAccessLog(e);
      for (const t of this.taps) t(e);
    }
    this.options.write(text);
  }

  close(): void {
    this.flush();
  }
}
