import { isIPv6 } from 'node:net';

/**
 * Value checks of Istio's injector (`pkg/kube/inject/validate.go`, `AnnotationValidation`), keyed
 * by annotation. Each returns the problem, or undefined when the value is valid. Go's parsers are
 * reproduced: `strconv.ParseUint` (decimal digits only), `strconv.ParseBool`, `netip.ParsePrefix`.
 */
type ValueCheck = (value: string) => string | undefined;

const parseUint = (s: string, bits: 16 | 32): number | undefined => (/^[0-9]+$/.test(s) && Number(s) <= 2 ** bits - 1 ? Number(s) : undefined);

function port(s: string): string | undefined {
  return parseUint(s.trim(), 16) === undefined ? `failed parsing port '${s}': not a number from 0 to 65535` : undefined;
}

function portList(parameter: string, ports: string): string | undefined {
  const list = ports.trim();
  if (list.length === 0) return undefined;
  for (const p of list.split(',')) {
    const e = port(p);
    if (e) return `${parameter} invalid: ${e}`;
  }
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** `netip.ParsePrefix`: an address without zone, `/`, a decimal length without leading zero in range. */
function prefixProblem(cidr: string): string | undefined {
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) return 'no \'/\'';
  const addr = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  const v4 = IPV4.test(addr);
  if (!v4 && (addr.includes('%') || !isIPv6(addr))) return `ParseAddr("${addr}"): not an IP address`;
  if (!/^(0|[1-9][0-9]*)$/.test(bits) || Number(bits) > (v4 ? 32 : 128)) return `bad bits after slash: "${bits}"`;
  return undefined;
}

function cidrList(parameter: string, cidrs: string): string | undefined {
  if (cidrs.length === 0) return undefined;
  for (const cidr of cidrs.split(',')) {
    const e = prefixProblem(cidr);
    if (e) return `${parameter} invalid: failed parsing cidr '${cidr}': ${e}`;
  }
  return undefined;
}

const BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
const uint32: ValueCheck = (v) => (parseUint(v, 32) === undefined ? `strconv.ParseUint: parsing "${v}": not an unsigned 32-bit integer` : undefined);

export const VALUE_CHECKS: Readonly<Record<string, ValueCheck>> = {
  'sidecar.istio.io/interceptionMode': (v) => (['REDIRECT', 'TPROXY', 'NONE'].includes(v) ? undefined : `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${v}`),
  'status.sidecar.istio.io/port': (v) => { const e = port(v); return e ? `statusPort invalid: ${e}` : undefined; },
  'readiness.status.sidecar.istio.io/initialDelaySeconds': uint32,
  'readiness.status.sidecar.istio.io/periodSeconds': uint32,
  'readiness.status.sidecar.istio.io/failureThreshold': uint32,
  'traffic.sidecar.istio.io/includeOutboundIPRanges': (v) => (v === '*' ? undefined : cidrList('includeIPRanges', v)),
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': (v) => cidrList('excludeIPRanges', v),
  'traffic.sidecar.istio.io/includeInboundPorts': (v) => (v === '*' ? undefined : portList('includeInboundPorts', v)),
  'traffic.sidecar.istio.io/excludeInboundPorts': (v) => portList('excludeInboundPorts', v),
  'traffic.sidecar.istio.io/excludeOutboundPorts': (v) => portList('excludeOutboundPorts', v),
  'prometheus.istio.io/merge-metrics': (v) => (BOOLS.has(v) ? undefined : `strconv.ParseBool: parsing "${v}": invalid syntax`),
};
