/** Small message builders shared by the translators (not part of the public API). */
import type { JsonObject } from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import { ApiVersion } from '../gen/envoy/config/core/v3/config_source_pb.js';
import { FractionalPercent_DenominatorType } from '../gen/envoy/type/v3/percent_pb.js';
import type { Origin, StringMatch } from '../../mesh/view/index.js';

/** A `google.protobuf.Duration` init from milliseconds. */
export function duration(ms: number): { seconds: bigint; nanos: number } {
  const whole = Math.floor(ms / 1000);
  return { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) };
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

/** `FractionalPercent` init from a 0..100 percentage, in millionths (Istio's precision). */
export function fractionalPercent(percentage: number) {
  return { numerator: Math.round(percentage * 10_000), denominator: FractionalPercent_DenominatorType.MILLION };
}
