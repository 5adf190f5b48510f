import { isRecord, stringMap, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';

/** One `ClientTLSSettings` block of a DestinationRule, with where it sits. */
export interface ClientTlsAt {
  readonly tls: Readonly<Record<string, unknown>>;
  /** Path of the `tls` mapping, e.g. `['spec','subsets',1,'trafficPolicy','portLevelSettings',0,'tls']`. */
  readonly path: FieldPath;
  /** The subset whose trafficPolicy holds it, when not the top-level one. */
  readonly subset?: string;
  /** `portLevelSettings[].port.number`, when it is a port-level setting. */
  readonly port?: number;
}

/**
 * Every `tls` block of a DestinationRule: `spec.trafficPolicy.tls` and each subset's
 * `trafficPolicy.tls` (`portLevel: false`), or the `tls` of every `portLevelSettings[]` entry of
 * those policies (`portLevel: true`).
 */
export function clientTlsSettings(dr: MeshObject, portLevel: boolean): ClientTlsAt[] {
  const policies: { policy: Record<string, unknown>; path: FieldPath; subset?: string }[] = [];
  if (isRecord(dr.spec.trafficPolicy)) policies.push({ policy: dr.spec.trafficPolicy, path: ['spec', 'trafficPolicy'] });
  const subsets = Array.isArray(dr.spec.subsets) ? dr.spec.subsets : [];
  subsets.forEach((s, i) => {
    if (!isRecord(s) || !isRecord(s.trafficPolicy)) return;
    policies.push({ policy: s.trafficPolicy, path: ['spec', 'subsets', i, 'trafficPolicy'], ...(typeof s.name === 'string' ? { subset: s.name } : {}) });
  });
  const out: ClientTlsAt[] = [];
  for (const { policy, path, subset } of policies) {
    const where = subset !== undefined ? { subset } : {};
    if (!portLevel) {
      if (isRecord(policy.tls)) out.push({ tls: policy.tls, path: [...path, 'tls'], ...where });
      continue;
    }
    const settings = Array.isArray(policy.portLevelSettings) ? policy.portLevelSettings : [];
    settings.forEach((p, j) => {
      if (!isRecord(p) || !isRecord(p.tls)) return;
      const port = isRecord(p.port) && typeof p.port.number === 'number' ? { port: p.port.number } : {};
      out.push({ tls: p.tls, path: [...path, 'portLevelSettings', j, 'tls'], ...where, ...port });
    });
  }
  return out;
}

/** The TLS mode of a block (`DISABLE` when unset, as Istio reads it). */
export function tlsMode(tls: Readonly<Record<string, unknown>>): string {
  return typeof tls.mode === 'string' ? tls.mode : 'DISABLE';
}

/**
 * Whether a block originates TLS (SIMPLE or MUTUAL) with nothing to verify the server against:
 * no `caCertificates`, and not the `credentialName` + `workloadSelector` combination that lets
 * the proxy read the CA from a Secret (istioctl's exemption for IST0128 / IST0129).
 */
export function lacksServerVerification(dr: MeshObject, tls: Readonly<Record<string, unknown>>): boolean {
  const mode = tlsMode(tls);
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL') return false;
  if (typeof tls.caCertificates === 'string' && tls.caCertificates !== '') return false;
  const credential = typeof tls.credentialName === 'string' && tls.credentialName !== '';
  return !(credential && isRecord(dr.spec.workloadSelector));
}

/** `for host "x"`, `for host "x" in subset "v2"`, `… at port 443`: where a TLS block applies. */
export function describeTarget(dr: MeshObject, at: ClientTlsAt): string {
  const host = typeof dr.spec.host === 'string' ? dr.spec.host : '?';
  return `for host "${host}"${at.subset !== undefined ? ` in subset "${at.subset}"` : ''}${at.port !== undefined ? ` at port ${at.port}` : ''}`;
}

/** The shared how-to-fix tail of the IST0128 / IST0129 messages. */
export const CA_FIX =
  'set caCertificates to the CA bundle that signs the server certificate (or credentialName together with a workloadSelector); ' +
  'without it the proxy verifies the server only if istiod falls back to the system roots (VERIFY_CERTIFICATE_AT_CLIENT), which this file cannot show';

/** The labels of the DestinationRule's subset `name` (`{}` when it has none or no such subset). */
export function subsetLabelsOf(dr: MeshObject, name: string): Record<string, string> {
  const subsets = Array.isArray(dr.spec.subsets) ? dr.spec.subsets : [];
  const s = subsets.find((x) => isRecord(x) && x.name === name);
  return isRecord(s) ? stringMap(s.labels) : {};
}

/** The `trafficPolicy` a TLS block sits in: the top-level one, or subset `subset`'s. */
function policyOf(dr: MeshObject, subset: string | undefined): Record<string, unknown> | undefined {
  if (subset === undefined) return isRecord(dr.spec.trafficPolicy) ? dr.spec.trafficPolicy : undefined;
  const subsets = Array.isArray(dr.spec.subsets) ? dr.spec.subsets : [];
  const s = subsets.find((x) => isRecord(x) && x.name === subset);
  return isRecord(s) && isRecord(s.trafficPolicy) ? s.trafficPolicy : undefined;
}

/**
 * The ports with a `portLevelSettings` entry in the top-level policy (`subset` undefined) or subset `subset`'s,
 * whatever the entry sets: on such a port the entry replaces the policy, and an entry without `tls` leaves TLS
 * to auto mTLS, not to the policy's `tls` (util.GetPortLevelTrafficPolicy: "port level policies do not inherit").
 */
export function portLevelPorts(dr: MeshObject, subset: string | undefined): Set<number> {
  const settings = policyOf(dr, subset)?.portLevelSettings;
  const out = new Set<number>();
  for (const p of Array.isArray(settings) ? settings : []) {
    if (isRecord(p) && isRecord(p.port) && typeof p.port.number === 'number') out.add(p.port.number);
  }
  return out;
}

/**
 * Whether a port-level block is the one istiod uses for its port: the first `portLevelSettings` entry naming the
 * port wins (util.GetPortLevelTrafficPolicy breaks at the first match), a later one for the same port is never read.
 */
export function firstForItsPort(dr: MeshObject, at: ClientTlsAt): boolean {
  if (at.port === undefined) return true;
  const settings = policyOf(dr, at.subset)?.portLevelSettings;
  const index = at.path[at.path.length - 2];
  if (!Array.isArray(settings) || typeof index !== 'number') return true;
  return !settings.slice(0, index).some((p) => isRecord(p) && isRecord(p.port) && p.port.number === at.port);
}
