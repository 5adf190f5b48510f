/**
 * Gateway API bundle versions as Istio's CRD watcher and `istioctl analyze` read them: the
 * `gateway.networking.k8s.io/bundle-version` annotation parsed the way Masterminds/semver v3's
 * `NewVersion` parses it by default (coercing: optional `v`, missing minor or patch are 0, leading
 * zeros allowed in the numbers, pre-release identifiers checked).
 */

/** A parsed semantic version. */
export interface BundleVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Pre-release identifiers (after `-`), or ''. */
  readonly pre: string;
  /** Build metadata (after `+`), or ''. */
  readonly metadata: string;
}

/** The annotation the Gateway API release bundle puts on each of its CRDs. */
export const BUNDLE_VERSION_ANNOTATION = 'gateway.networking.k8s.io/bundle-version';

/**
 * The minimum bundle version istiod processes, by CRD name (Istio's
 * `pkg/config/schema/gatewayapi/minimumversions.go`, master of 2026-08). A CRD below it is filtered
 * out by istiod's CRD watcher: its resources are never read.
 */
export const MINIMUM_CRD_VERSIONS: ReadonlyMap<string, BundleVersion> = new Map([
  ['grpcroutes.gateway.networking.k8s.io', release(1, 1)],
  ['backendtlspolicies.gateway.networking.k8s.io', release(1, 4)],
  ['tlsroutes.gateway.networking.k8s.io', release(1, 5)],
  ['tcproutes.gateway.networking.k8s.io', release(1, 6)],
]);

function release(major: number, minor: number): BundleVersion {
  return { major: BigInt(major), minor: BigInt(minor), patch: 0n, pre: '', metadata: '' };
}

const LOOSE = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const UINT64_MAX = 2n ** 64n - 1n;

/** `text` as a version, or undefined where semver's `NewVersion` returns an error (Istio then skips the CRD). */
export function parseBundleVersion(text: string): BundleVersion | undefined {
  const m = LOOSE.exec(text);
  if (!m) return undefined;
  const [major, minor, patch] = [m[1], m[2], m[3]].map((s) => (s ? BigInt(s.replace(/^\./, '')) : 0n)) as [bigint, bigint, bigint];
  if (major > UINT64_MAX || minor > UINT64_MAX || patch > UINT64_MAX) return undefined;
  const pre = m[5] ?? '';
  // A numeric pre-release identifier with a leading zero is refused (ErrSegmentStartsZero).
  if (pre.split('.').some((p) => /^[0-9]+$/.test(p) && p.length > 1 && p.startsWith('0'))) return undefined;
  return { major, minor, patch, pre, metadata: m[8] ?? '' };
}

/** The version as semver's `String()` prints it: `1.4.1`, `1.5.0-rc.1`, `1.4.0+build`. */
export function formatBundleVersion(v: BundleVersion): string {
  return `${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ''}${v.metadata ? `+${v.metadata}` : ''}`;
}

/** Whether the release of `v` (pre-release and metadata dropped, as Istio compares) is below `minimum`. */
export function releaseBelow(v: BundleVersion, minimum: BundleVersion): boolean {
  if (v.major !== minimum.major) return v.major < minimum.major;
  if (v.minor !== minimum.minor) return v.minor < minimum.minor;
  return v.patch < minimum.patch;
}
