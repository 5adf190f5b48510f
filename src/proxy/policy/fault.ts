/**
 * Fault injection: the `envoy.filters.http.fault` filter's per-route `HTTPFault`
 * (`source/extensions/filters/http/fault/fault_filter.cc`, `filters/common/fault/fault_config.cc`).
 * A delay is drawn first; when it fires the request goes on, and the abort is drawn afterwards
 * (a second, independent draw), as Envoy's `postDelayInjection`. Header-controlled faults
 * (`x-envoy-fault-*`) are honoured when the config asks for them; Istio's translation never does.
 */
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { HTTPFaultSchema, type HTTPFault } from '../../xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import type { FractionalPercent } from '../../xds/gen/envoy/type/v3/percent_pb.js';
import { ConfigError } from '../config/config-error.js';
import { compileHeaderMatcher, type HeaderBag } from '../route-match.js';
import { durationMs, fractionHit, firstHeader, type RandomSource } from './_common.js';

/** The filter name Istio puts the per-route `HTTPFault` under in `typed_per_filter_config`. */
export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';

/** Request headers of header-controlled faults (Envoy `Filters::Common::Fault::HeaderNames`). */
export const FaultHeaders = {
  DELAY: 'x-envoy-fault-delay-request',
  DELAY_PERCENTAGE: 'x-envoy-fault-delay-request-percentage',
  ABORT: 'x-envoy-fault-abort-request',
  ABORT_GRPC: 'x-envoy-fault-abort-grpc-request',
  ABORT_PERCENTAGE: 'x-envoy-fault-abort-request-percentage',
} as const;

/** What an injected abort answers: an HTTP status, or (gRPC) HTTP 200 with this `grpc-status`. */
export type FaultAbort = { readonly httpStatus: number } | { readonly grpcStatus: number };

/** What the request being filtered offers the fault filter. */
export interface FaultRequest {
  readonly headers: HeaderBag;
  /** The cluster the route sends to (for `upstream_cluster`). */
  readonly cluster?: string;
}

/** An unset proto percentage is 0 %: a fault without `percentage` never fires, as in Envoy. */
const ZERO = { numerator: 0, denominator: 0 } as FractionalPercent;

/** Envoy `HeaderPercentageProvider`: a header numerator, capped by the configured one, same denominator. */
function headerPercentage(configured: FractionalPercent, h: HeaderBag, name: string): FractionalPercent {
  const v = firstHeader(h[name]);
  if (v === undefined || !/^\d+$/.test(v)) return configured;
  return { ...configured, numerator: Math.min(Number(v), configured.numerator) };
}

/**
 * One route's fault settings, compiled when the route arrives. Holds Envoy's `active_faults` gauge
 * for `max_active_faults`, so keep one instance per route config, not per request.
 */
export class FaultInjector {
  private readonly fixedDelayMs: number | undefined;
  private readonly headerDelay: boolean;
  private readonly delayPct: FractionalPercent | undefined;
  private readonly abortKind: 'http' | 'grpc' | 'header' | undefined;
  private readonly abortValue: number;
  private readonly abortPct: FractionalPercent;
  private readonly matchers: readonly ((h: HeaderBag) => boolean)[];
  private readonly downstreamNodes: ReadonlySet<string>;
  /** Requests with an injected fault in progress (Envoy `fault.active_faults`). */
  active = 0;

  /** Checks `cfg`; throws {@link ConfigError} naming the field for an abort status outside [200, 600) or a delay without duration. */
  constructor(private readonly cfg: HTTPFault) {
    const d = cfg.delay;
    this.delayPct = d ? d.percentage ?? ZERO : undefined;
    this.headerDelay = d?.faultDelaySecifier.case === 'headerDelay';
    this.fixedDelayMs = d?.faultDelaySecifier.case === 'fixedDelay' ? durationMs(d.faultDelaySecifier.value) : undefined;
    if (d && !this.headerDelay && this.fixedDelayMs === undefined) throw new ConfigError('delay', 'neither fixed_delay nor header_delay is set; set one');
    const a = cfg.abort?.errorType;
    this.abortKind = a?.case === 'httpStatus' ? 'http' : a?.case === 'grpcStatus' ? 'grpc' : a?.case === 'headerAbort' ? 'header' : undefined;
    if (cfg.abort && this.abortKind === undefined) throw new ConfigError('abort', 'neither http_status, grpc_status nor header_abort is set; set one');
    this.abortValue = typeof a?.value === 'number' ? a.value : 0;
    if (this.abortKind === 'http' && (this.abortValue < 200 || this.abortValue >= 600)) {
      throw new ConfigError('abort.http_status', `${this.abortValue} is not an HTTP status in [200, 600)`);
    }
    this.abortPct = cfg.abort?.percentage ?? ZERO;
    this.matchers = cfg.headers.map((h, i) => {
      try { return compileHeaderMatcher(h); } catch (e) { throw e instanceof ConfigError ? e.within(`headers[${i}]`) : e; }
    });
    this.downstreamNodes = new Set(cfg.downstreamNodes);
  }

  /** Unpacks the `typed_per_filter_config` entry; throws {@link ConfigError} when it is not an `HTTPFault`. */
  static fromTypedConfig(any: Any): FaultInjector {
    const cfg = anyUnpack(any, HTTPFaultSchema);
    if (!cfg) throw new ConfigError(`typed_per_filter_config["${FAULT_FILTER_NAME}"]`, `type ${any.typeUrl} is not type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault`);
    return new FaultInjector(cfg);
  }

  /** Whether the fault applies to this request at all: `max_active_faults`, `upstream_cluster`, `downstream_nodes`, `headers`. */
  applies(req: FaultRequest): boolean {
    if (this.cfg.maxActiveFaults !== undefined && this.active >= this.cfg.maxActiveFaults) return false;
    if (this.cfg.upstreamCluster !== '' && req.cluster !== this.cfg.upstreamCluster) return false;
    if (this.downstreamNodes.size > 0) {
      const node = firstHeader(req.headers['x-envoy-downstream-service-node']);
      if (node === undefined || !this.downstreamNodes.has(node)) return false;
    }
    return this.matchers.every((m) => m(req.headers));
  }

  /**
   * Envoy `delayDuration`: milliseconds to hold the request (flag `DI`), or `undefined`. A header
   * delay without a valid `x-envoy-fault-delay-request` (ms) does not delay; a 0 ms delay is none.
   */
  delayMs(req: FaultRequest, random: RandomSource): number | undefined {
    if (this.delayPct === undefined) return undefined;
    const pct = this.headerDelay ? headerPercentage(this.delayPct, req.headers, FaultHeaders.DELAY_PERCENTAGE) : this.delayPct;
    if (!fractionHit(pct, random)) return undefined;
    let ms = this.fixedDelayMs;
    if (this.headerDelay) {
      const v = firstHeader(req.headers[FaultHeaders.DELAY]);
      ms = v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
    }
    return ms !== undefined && ms > 0 ? ms : undefined;
  }

  /**
   * Envoy `abortStatus`: the abort to answer with (flag `FI`), or `undefined`. Call it after the
   * delay has fired (or at once when there is none); each call is a new draw.
   */
  abort(req: FaultRequest, random: RandomSource): FaultAbort | undefined {
    if (this.abortKind === undefined) return undefined;
    const header = this.abortKind === 'header';
    const pct = header ? headerPercentage(this.abortPct, req.headers, FaultHeaders.ABORT_PERCENTAGE) : this.abortPct;
    if (!fractionHit(pct, random)) return undefined;
    if (this.abortKind === 'http') return { httpStatus: this.abortValue };
    if (this.abortKind === 'grpc') return { grpcStatus: this.abortValue };
    const http = firstHeader(req.headers[FaultHeaders.ABORT]);
    if (http !== undefined && /^\d+$/.test(http) && Number(http) >= 200 && Number(http) < 600) return { httpStatus: Number(http) };
    const grpc = firstHeader(req.headers[FaultHeaders.ABORT_GRPC]);
    if (grpc !== undefined && /^\d+$/.test(grpc)) return { grpcStatus: Number(grpc) };
    return undefined;
  }
}
