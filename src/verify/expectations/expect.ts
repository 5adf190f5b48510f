/**
 * Expectations written by hand next to an app:
 *
 * ```ts
 * expect(this).request({ host: reviews, headers: { 'end-user': 'jason' } }).reaches({ service: reviews, version: 'v2' });
 * expect(this).request({ host: reviews }).reaches({ service: reviews, version: 'v3', share: 25 });
 * expect(this).request({ host: 'bookinfo.app', path: '/admin', gateway: 'istio-ingress/bookinfo-gateway', port: 443 }).answers(404);
 * ```
 *
 * Each call records where it was made (file and line of the app) and is written to
 * `.meshproof/expectations.json` by `cdk8s synth` with the constructs' own promises.
 */
import { Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';
import type { IRoutable } from '../../constructs/destination.js';
import { describeRequest } from './describe.js';
import type { Expectation, RequestSpec } from './types.js';

/** The request of a hand-written expectation. */
export interface ExpectedRequest {
  /** A service (its FQDN is used) or a host name as the client writes it (`bookinfo.app`). */
  readonly host: IRoutable | string;
  /** @default the host's only port */
  readonly port?: number;
  /** @default '/' */
  readonly path?: string;
  /** @default 'GET' */
  readonly method?: string;
  /** Header names lower case. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Send through this Gateway (`<ns>/<name>`) instead of a sidecar. @default a sidecar in the host's namespace */
  readonly gateway?: string;
  /** Namespace of the sending sidecar. @default the service's namespace (or `default` for a host name) */
  readonly from?: string;
}

/** Where the request must land. */
export interface ExpectedTarget {
  readonly service: IRoutable;
  /** Subset (version) of the service, e.g. `v2`; the pods reached must carry `version: <v>`. @default any */
  readonly version?: string;
  /** Share of such requests (0..100) that reach it; the rest go elsewhere. @default 100 */
  readonly share?: number;
}

/** A hand-written expectation before collection: its request, target and the stack of the call. */
export interface PendingExpectation {
  readonly request: ExpectedRequest;
  readonly target: ExpectedTarget | { readonly status: number };
  readonly stack?: string;
  readonly index: number;
  /** Construct path of the enclosing cdk8s Chart: the app the promise belongs to (`verify --app`). */
  readonly chart: string;
}

const PENDING = new WeakMap<IConstruct, PendingExpectation[]>();

/** The expectations registered under `root` (the App) by `expect`, in call order. */
export function pendingExpectations(root: IConstruct): readonly PendingExpectation[] {
  return PENDING.get(root) ?? [];
}

/**
 * Starts a hand-written expectation in the app (cdk8s Chart) that holds `scope`: its promises are
 * filed under that chart, as construct promises are, so `verify --app <chart>` includes them.
 * @throws Error when `scope` is in no Chart (e.g. the App itself): pass `this` from the chart.
 */
export function expect(scope: IConstruct) {
  const root = scope.node.root;
  // The outermost chart: construct promises belong to the first segment of their path too.
  const chart = scope.node.scopes.find((c) => Chart.isChart(c));
  if (chart === undefined) {
    throw new Error(`expect(${scope.node.path || '<App>'}): the scope is in no cdk8s Chart, so its promises would belong to no app; call expect(this) inside the chart (the app) they are about`);
  }
  const chartPath = chart.node.path;
  return {
    /** The request to send. */
    request(request: ExpectedRequest) {
      const add = (target: PendingExpectation['target'], caller: Function) => {
        const holder: { stack?: string } = {};
        Error.captureStackTrace(holder, caller);
        const list = PENDING.get(root) ?? [];
        list.push({ request, target, stack: holder.stack, index: list.length, chart: chartPath });
        PENDING.set(root, list);
      };
      return {
        /** All (or `share` % of) such requests reach `target`. */
        reaches(target: ExpectedTarget): void {
          if (target.share !== undefined && !(Number.isFinite(target.share) && target.share > 0 && target.share <= 100)) {
            throw new RangeError(`expect(...).reaches: share must be a number above 0 and at most 100, got ${String(target.share)}`);
          }
          add(target, this.reaches);
        },
        /** Such requests are answered with this HTTP status by the mesh (no route: 404, redirect, direct response, fault). */
        answers(status: number): void {
          if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`expect(...).answers: status must be an HTTP status 100..599, got ${String(status)}`);
          add({ status }, this.answers);
        },
      };
    },
  };
}

/** Turns a pending expectation into data (`source` already resolved). */
export function toExpectation(p: PendingExpectation, source: Expectation['source'], clusterDomain: string): Expectation {
  const r = p.request;
  // Host names compare case-insensitively (Envoy lower-cases domains, the Host header and SNI; the model lower-cases hosts).
  const host = (typeof r.host === 'string' ? r.host : r.host.host).toLowerCase();
  const namespace = r.from ?? (typeof r.host === 'string' ? (host.split('.')[1] && host.includes('.svc.') ? host.split('.')[1]! : 'default') : r.host.namespace ?? 'default');
  void clusterDomain;
  const request: RequestSpec = {
    host, ...(r.port !== undefined ? { port: r.port } : {}),
    path: r.path ?? '/', method: r.method ?? 'GET', headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    via: r.gateway !== undefined ? { kind: 'gateway', gateway: r.gateway, port: r.port ?? 443 } : { kind: 'mesh', namespace },
  };
  const id = `${source.constructPath}#expect.${p.index}`;
  if ('status' in p.target) {
    return { id, promise: `${describeRequest(request)}: answered ${p.target.status}`, source, request, outcome: { kind: 'status', status: p.target.status } };
  }
  const t = p.target;
  const destination = { host: t.service.host, ...(t.version !== undefined ? { subset: t.version, labels: { version: t.version } } : {}) };
  const name = `${t.service.host.split('.')[0]}${t.version !== undefined ? ` ${t.version}` : ''}`;
  if (t.share === undefined || t.share === 100) {
    return { id, promise: `${describeRequest(request)}: every request reaches ${name}`, source, request, outcome: { kind: 'reaches', destination } };
  }
  return {
    id, promise: `${describeRequest(request)}: ${t.share} % reach ${name}`, source, request,
    outcome: { kind: 'split', shares: [{ destination, percent: t.share }] },
  };
}
