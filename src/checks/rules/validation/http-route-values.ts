import { isIP } from 'node:net';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { parseGoDuration } from '../../../validate/go-duration.js';
import { durationPrecisionProblem } from './_durations.js';

type Raw = Readonly<Record<string, unknown>>;
/** The records of a list with their indexes in it (a malformed entry is the schema's to report). */
const records = (v: unknown): [Raw, number][] => (Array.isArray(v) ? v.flatMap((x, i): [Raw, number][] => (isRecord(x) ? [[x, i]] : [])) : []);

/** A finite number: `.inf` and `.nan` are `schema/crd-validation`'s to report (JSON cannot carry them). */
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Istio's `validatePercentage`: 0, or within [0.0001, 100]. */
function percentageProblem(p: unknown): string | undefined {
  if (!isRecord(p) || !finite(p.value)) return undefined;
  const v = p.value;
  return v < 0 || v > 100 || (v > 0 && v < 0.0001) ? `percentage ${v} is neither 0.0, nor in range [0.0001, 100.0]` : undefined;
}

/** Istio `agent.ValidatePort`: 1..65535. */
const portProblem = (n: number, what: string): string | undefined =>
  (n >= 1 && n <= 65535 ? undefined : `port number ${n} must be in the range 1..65535: ${what}`);

/**
 * Istio `validateDestination` → `validatePortSelector`: a written `port` must hold a number in 1..65535 (`port: {}` is
 * port 0). `destination` is a Destination {host, subset, port: {number}}; `at` its path.
 */
function destinationPortProblems(destination: unknown, at: FieldPath): [string, FieldPath][] {
  if (!isRecord(destination) || !isRecord(destination.port)) return [];
  const what = `the destination "${String(destination.host)}" port is the Service (or ServiceEntry) port to send to; set port.number to one of its ports, or remove port when it has only one`;
  if (destination.port.number === undefined || destination.port.number === null) {
    // `port: {name: http}` or `port: {}`: no number was written; Istio reads it as port 0 and refuses it.
    const written = Object.keys(destination.port);
    const named = written.length > 0 ? ` (it has ${written.map((k) => `"${k}"`).join(', ')}, which a PortSelector does not read: the port is chosen by number only)` : '';
    return [[`port has no number${named}, so Istio reads it as port 0 and refuses it: ${what}`, [...at, 'port']]];
  }
  const n = destination.port.number;
  if (!finite(n)) return [];
  const why = portProblem(n, what);
  return why ? [[why, [...at, 'port', 'number']]] : [];
}

/** Istio `agent.ValidateIPSubnet`: an IP address, or `ip/prefix-length` (one `/`, length within the address family). */
function subnetProblem(subnet: string): string | undefined {
  const parts = subnet.split('/');
  if (parts.length === 2) {
    const family = isIP(parts[0]!);
    const bits = /^\d{1,3}$/.test(parts[1]!) ? Number(parts[1]) : -1;
    return family !== 0 && bits >= 0 && bits <= (family === 4 ? 32 : 128) ? undefined : `${subnet} is not a valid CIDR block`;
  }
  return isIP(subnet) !== 0 ? undefined : `${subnet} is not a valid IP address`;
}

/** Every route destination of `spec.tcp` and `spec.tls` rules, and their match ports and destinationSubnets (`validateTCPMatch`, `validateTLSMatch`). */
function l4Problems(spec: Raw): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  for (const kind of ['tcp', 'tls'] as const) {
    records(spec[kind]).forEach(([rule, i]) => {
      const at: FieldPath = ['spec', kind, i];
      records(rule.match).forEach(([m, j]) => {
        const why = finite(m.port) && m.port !== 0 ? portProblem(m.port, `${kind} match port is the port the traffic is addressed to`) : undefined;
        if (why) out.push([why, [...at, 'match', j, 'port']]);
        (Array.isArray(m.destinationSubnets) ? m.destinationSubnets : []).forEach((s, k) => {
          const bad = typeof s === 'string' ? subnetProblem(s) : undefined;
          if (bad) out.push([`${bad}: ${kind} match destinationSubnets takes IP addresses and CIDR blocks such as 10.0.0.0/16`, [...at, 'match', j, 'destinationSubnets', k]]);
        });
      });
      records(rule.route).forEach(([d, j]) => out.push(...destinationPortProblems(d.destination, [...at, 'route', j, 'destination'])));
    });
  }
  return out;
}

/** Whether a duration has a sub-second part (Istio refuses `maxAge.nanos > 0`); a malformed one is the schema's. */
function subSecond(text: string): boolean {
  try {
    return parseGoDuration(text) % 1_000_000_000n !== 0n;
  } catch {
    return false;
  }
}

/** Istio `supportedCORSMethods`. */
const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
/** Istio `grpc.SupportedGRPCStatus` (pkg/util/grpc/codes.go). */
const GRPC_STATUSES = new Set(['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED']);

/** The values of one `spec.http[i]` the webhook refuses, each with the field it points at. */
function problemsOf(rule: Raw, at: FieldPath): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  records(rule.route).forEach(([d, i]) => out.push(...destinationPortProblems(d.destination, [...at, 'route', i, 'destination'])));
  out.push(...destinationPortProblems(rule.mirror, [...at, 'mirror']));
  records(rule.mirrors).forEach(([m, i]) => out.push(...destinationPortProblems(m.destination, [...at, 'mirrors', i, 'destination'])));
  records(rule.match).forEach(([m, j]) => {
    const why = finite(m.port) && m.port !== 0 ? portProblem(m.port, 'match port is the port the request is addressed to') : undefined;
    if (why) out.push([why, [...at, 'match', j, 'port']]);
  });
  const mp = isRecord(rule.mirrorPercentage) ? rule.mirrorPercentage.value : undefined;
  if (finite(mp) && (mp > 100 || mp < 0)) {
    out.push([`mirror_percentage must have a ${mp > 100 ? 'max value of 100' : 'min value of 0'} (it has ${mp}): mirrorPercentage.value is the percentage ` +
      'of requests copied to the mirror; set it between 0 and 100', [...at, 'mirrorPercentage', 'value']]);
  }
  if (finite(rule.mirrorPercent) && rule.mirrorPercent > 100) {
    out.push([`mirror_percent must have a max value of 100 (it has ${rule.mirrorPercent}); use mirrorPercentage: {value: <0-100>} instead`, [...at, 'mirrorPercent']]);
  }
  const body = isRecord(rule.directResponse) && isRecord(rule.directResponse.body) ? rule.directResponse.body : {};
  const size = typeof body.string === 'string' ? Buffer.byteLength(body.string, 'utf8') : typeof body.bytes === 'string' ? Buffer.from(body.bytes, 'base64').length : 0;
  if (size > 1024 * 1024) {
    out.push([`large direct_responses may impact control plane performance, must be less than 1MB: directResponse.body is ${size} bytes; ` +
      'serve the content from a workload instead', [...at, 'directResponse', 'body']]);
  }
  const status = isRecord(rule.directResponse) ? rule.directResponse.status : undefined;
  if (finite(status) && (status < 200 || status > 600)) {
    out.push([`HTTP status ${status} is not in range 200-599: directResponse.status is the status the proxy answers with (e.g. 200, 404, 503)`, [...at, 'directResponse', 'status']]);
  }
  const redirectPort = isRecord(rule.redirect) ? rule.redirect.port : undefined;
  if (finite(redirectPort) && redirectPort > 65535) {
    out.push([`port number ${redirectPort} must be in the range 1..65535: redirect.port is the port written into the Location header`, [...at, 'redirect', 'port']]);
  }
  const grpc = isRecord(rule.fault) && isRecord(rule.fault.abort) ? rule.fault.abort.grpcStatus : undefined;
  if (typeof grpc === 'string' && !GRPC_STATUSES.has(grpc)) {
    out.push([`gRPC status "${grpc}" is not supported: fault.abort.grpcStatus takes a status name such as NOT_FOUND, UNAVAILABLE or INTERNAL ` +
      '(https://github.com/grpc/grpc/blob/master/doc/statuscodes.md)', [...at, 'fault', 'abort', 'grpcStatus']]);
  }
  const delay = isRecord(rule.fault) && isRecord(rule.fault.delay) ? rule.fault.delay : {};
  const retries = isRecord(rule.retries) ? rule.retries : {};
  for (const [v, rel] of [[rule.timeout, ['timeout']], [delay.fixedDelay, ['fault', 'delay', 'fixedDelay']], [retries.perTryTimeout, ['retries', 'perTryTimeout']]] as const) {
    const why = durationPrecisionProblem(v, rel.join('.'));
    if (why) out.push([why, [...at, ...rel]]);
  }
  const cors = isRecord(rule.corsPolicy) ? rule.corsPolicy : undefined;
  (cors && Array.isArray(cors.allowMethods) ? cors.allowMethods : []).forEach((m, k) => {
    if (typeof m === 'string' && !CORS_METHODS.has(m)) {
      out.push([`"${m}" is not a supported HTTP method in corsPolicy.allowMethods: use ${[...CORS_METHODS].join(', ')} (upper case)`, [...at, 'corsPolicy', 'allowMethods', k]]);
    }
  });
  if (typeof cors?.maxAge === 'string' && subSecond(cors.maxAge)) {
    out.push([`max_age duration is accurate only to seconds precision: corsPolicy.maxAge is ${cors.maxAge}; give whole seconds (e.g. 24h or 86400s)`, [...at, 'corsPolicy', 'maxAge']]);
  }
  records(rule.route).forEach(([d, i]) => {
    if (finite(d.weight) && d.weight < 0) out.push([`weight ${d.weight} < 0: weights are relative shares, 0 or more`, [...at, 'route', i, 'weight']]);
  });
  const redirect = isRecord(rule.redirect) ? rule.redirect : undefined;
  const code = redirect?.redirectCode;
  if (finite(code) && code !== 0 && (code < 300 || code > 399)) {
    out.push([`${code} is not a valid redirect code, must be 3xx (use 301, 302, 303, 307 or 308)`, [...at, 'redirect', 'redirectCode']]);
  }
  const fault = isRecord(rule.fault) ? rule.fault : undefined;
  for (const kind of ['delay', 'abort'] as const) {
    const f = fault && isRecord(fault[kind]) ? fault[kind] : undefined;
    const why = f && percentageProblem(f.percentage);
    if (why) out.push([`fault.${kind}: ${why}`, [...at, 'fault', kind, 'percentage', 'value']]);
  }
  const abort = fault && isRecord(fault.abort) ? fault.abort : undefined;
  if (finite(abort?.httpStatus) && (abort.httpStatus < 200 || abort.httpStatus > 600)) {
    out.push([`HTTP status ${abort.httpStatus} is not in range 200-599`, [...at, 'fault', 'abort', 'httpStatus']]);
  }
  records(rule.mirrors).forEach(([m, i]) => {
    const v = isRecord(m.percentage) ? m.percentage.value : undefined;
    if (!finite(v)) return;
    const path: FieldPath = [...at, 'mirrors', i, 'percentage', 'value'];
    if (v > 100) out.push([`mirror percentage must have a max value of 100 (it has ${v})`, path]);
    if (v < 0) out.push([`mirror percentage must have a min value of 0 (it has ${v})`, path]);
  });
  return out;
}

/** `validation/http-route-values` (IST0106): numbers in an HTTP route that Istio's webhook refuses. */
const httpRouteValues: Rule = {
  id: 'validation/http-route-values',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService route has a value Istio\'s webhook refuses: a negative weight, a redirect code outside 3xx, a fault percentage, abort status or gRPC status out of range, a mirror percentage outside 0–100, a port outside 1–65535 (destination, match, redirect), a directResponse status outside 200–599 or body over 1 MB, an unknown CORS method, a sub-second CORS maxAge, a malformed destinationSubnets entry, or a timeout, per-try timeout or fault delay finer than 1 ms.',
  docs: [
    'Istio\'s admission webhook (`pkg/config/validation`) refuses, beyond the CRD schema: a destination `weight` below 0',
    '(`validateWeight`); a `redirect.redirectCode` other than 0 outside 300–399; a `fault.delay` or `fault.abort`',
    '`percentage.value` that is not 0 and not within [0.0001, 100] (`validatePercentage`); a `fault.abort.httpStatus`',
    'or `directResponse.status` outside 200–600; a `directResponse.body` over 1 MB (`validateHTTPDirectResponse`); a `fault.abort.grpcStatus` that is not a gRPC status name; a',
    '`mirrors[].percentage.value` or `mirrorPercentage.value` below 0 or above 100, a deprecated `mirrorPercent` above 100;',
    'a destination `port.number` (route, mirror, mirrors, tcp and tls routes; `port: {}` is 0) outside 1–65535',
    '(`validatePortSelector`), a non-zero `match[].port` (http, tcp, tls) or `redirect.port` above 65535 (`ValidatePort`);',
    'a `corsPolicy.allowMethods` entry other than GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE or `*`',
    '(case-sensitive), a `corsPolicy.maxAge` with a fraction of a second, and a `timeout`, `retries.perTryTimeout` or',
    '`fault.delay.fixedDelay` that is not a whole number of milliseconds (`agent.ValidateDuration`), a tcp/tls',
    '`match[].destinationSubnets` entry that is neither an IP address nor a CIDR block (`ValidateIPSubnet`). `kubectl apply` fails with the webhook\'s',
    'message and `istioctl analyze` reports IST0106. Fix the value (weights are relative shares; percentages are 0–100).',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      records(vs.spec.http).forEach(([rule, i]) => {
        for (const [message, path] of problemsOf(rule, ['spec', 'http', i])) ctx.report(vs, message, { path });
      });
      for (const [message, path] of l4Problems(vs.spec)) ctx.report(vs, message, { path });
    }
  },
};

export default httpRouteValues;
