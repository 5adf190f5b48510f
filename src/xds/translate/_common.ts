/** Small message builders shared by the translators (not part of the public API). */
import type { JsonObject } from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import { ApiVersion } from '../gen/envoy/config/core/v3/config_source_pb.js';
import { FractionalPercent_DenominatorType } from '../gen/envoy/type/v3/percent_pb.js';
import type { Origin, StringMatch } from '../../mesh/view/index.js';

/** Envoy's bound on a `google.protobuf.Duration` (protoc-gen-validate, about 10,000 years): 315,576,000,000 s. */
const MAX_DURATION_MS = 315_576_000_000_000;

/**
 * A `google.protobuf.Duration` init from milliseconds. Total: a value no input that passes the
 * checks can give (NaN, negative, past Envoy's bound or infinite) is clamped into [0, 315,576,000,000 s],
 * NaN to 0, so translation never throws on it.
 */
export function duration(ms: number): { seconds: bigint; nanos: number } {
  const v = Number.isNaN(ms) || ms < 0 ? 0 : Math.min(ms, MAX_DURATION_MS);
  const whole = Math.floor(v / 1000);
  return { seconds: BigInt(whole), nanos: Math.min(999_999_999, Math.round((v - whole * 1000) * 1e6)) };
}

/**
 * A number for a protobuf `uint32` field: truncated toward zero (Go's float conversion), negatives
 * and NaN to 0, past 2^32-1 (Infinity too) to 2^32-1. Inputs that need it fail the checks (webhook
 * ranges, JSON's lack of .inf) or are clamped where istiod's own conversion is undefined; either way
 * translation does not throw on them.
 */
export function uint32(n: number): number {
  if (Number.isNaN(n) || n <= 0) return 0;
  return n >= 4_294_967_295 ? 4_294_967_295 : Math.trunc(n);
}

/** Duration back to milliseconds (tests and reverse lookups). */
export function millis(d: Duration | undefined): number | undefined {
  return d === undefined ? undefined : Number(d.seconds) * 1000 + d.nanos / 1e6;
}

/** `ConfigSource { ads: {} }`, v3: how RDS, EDS and SDS are fetched (grpc-js-xds accepts only this). */
export const ADS_SOURCE = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };

/** Metadata filter namespace under which every emitted route and cluster names its source. */
export const METADATA_NAMESPACE = 'meshproof';

/**
 * An origin as a JSON object for `Metadata.filter_metadata.meshproof`: the object (kind, namespace,
 * name), the field path, the manifest file and, when the object came from a cdk8s app, its
 * TypeScript construct path and file. No line numbers: they move whenever a document or a line is
 * added above, so carrying them would change every later route and cluster of a dump (and its
 * packed bytes) for an edit elsewhere. Whoever needs a line finds it through the loaded mesh: the
 * object by `kind/namespace/name` (`MeshGraph.get`), then `MeshObject.locate(path)` and
 * `sourceAt(object.source, path)`, as findings and proofs do (`originOf`).
 */
export function originJson(o: Origin): JsonObject {
  const out: JsonObject = {
    kind: o.ref.kind, namespace: o.ref.namespace, name: o.ref.name,
    path: o.path.map((p) => (typeof p === 'number' ? p : String(p))),
    file: o.location.file,
  };
  if (o.source) out.source = { constructPath: o.source.constructPath, file: o.source.file };
  return out;
}

/** Istio `StringMatch` → Envoy `StringMatcher` init (regex as RE2 `safe_regex`). */
export function translateStringMatch(m: StringMatch, ignoreCase = false) {
  if ('exact' in m) return { matchPattern: { case: 'exact' as const, value: m.exact }, ignoreCase };
  if ('prefix' in m) return { matchPattern: { case: 'prefix' as const, value: m.prefix }, ignoreCase };
  return { matchPattern: { case: 'safeRegex' as const, value: { regex: m.regex } } };
}

/**
 * `FractionalPercent` init from a 0..100 percentage, in millionths (Istio's
 * `translatePercentToFractionalPercent`: `uint32(value * 10000)`, truncated). Total (see {@link uint32}):
 * past 100 % the numerator exceeds the denominator, which Envoy reads as 100 %.
 */
export function fractionalPercent(percentage: number) {
  return { numerator: uint32(percentage * 10_000), denominator: FractionalPercent_DenominatorType.MILLION };
}

/**
 * `FractionalPercent` init from a whole percentage over 100 (Istio's `translateIntegerToFractionalPercent`,
 * used for the deprecated integer `mirrorPercent` and fault delay `percent`, and the 100 % default of a
 * mirror), else in millionths ({@link fractionalPercent}) when `whole` is not set.
 */
export function percentOf(p: { readonly percentage: number; readonly whole?: true }) {
  return p.whole ? { numerator: uint32(p.percentage), denominator: FractionalPercent_DenominatorType.HUNDRED } : fractionalPercent(p.percentage);
}
