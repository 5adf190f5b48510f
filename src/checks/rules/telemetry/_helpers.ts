import { extensionProvidersOf } from '../../../mesh/extension-providers.js';
import type { MeshConfig } from '../../../mesh/mesh-config.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';

/** The Telemetry sections that name extension providers (`spec.<section>[].providers[].name`). */
export type TelemetrySection = 'tracing' | 'accessLogging' | 'metrics';

/** One `providers[]` entry of a Telemetry section. */
export interface ProviderRef {
  readonly section: TelemetrySection;
  /** The provider name as written. */
  readonly name: string;
  /** Path to the `name` field. */
  readonly path: FieldPath;
}

const SECTIONS: readonly TelemetrySection[] = ['tracing', 'accessLogging', 'metrics'];

/** Every `providers[].name` string of a Telemetry's tracing, accessLogging and metrics entries, in order. */
export function providerRefsOf(t: MeshObject): ProviderRef[] {
  const out: ProviderRef[] = [];
  for (const section of SECTIONS) {
    const entries = t.spec[section];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry, i) => {
      const providers = isRecord(entry) ? entry.providers : undefined;
      if (!Array.isArray(providers)) return;
      providers.forEach((p, j) => {
        if (isRecord(p) && typeof p.name === 'string') out.push({ section, name: p.name, path: ['spec', section, i, 'providers', j, 'name'] });
      });
    });
  }
  return out;
}

/**
 * The provider kinds istiod builds something from, per Telemetry section (master of 2026-08):
 * tracing in `pilot/pkg/networking/core/tracing.go` `configureFromProviderConfig` (every other kind is
 * "does not support tracing"), access logs in `pilot/pkg/model/telemetry_logging.go`
 * `telemetryAccessLog` (nil for the others), metrics in `pilot/pkg/model/telemetry.go`
 * `buildHTTPTelemetryFilter` / `buildTCPTelemetryFilter` (prometheus only).
 */
export const KINDS_FOR: Readonly<Record<TelemetrySection, ReadonlySet<string>>> = {
  tracing: new Set(['zipkin', 'datadog', 'lightstep', 'skywalking', 'opentelemetry']),
  accessLogging: new Set(['envoyFileAccessLog', 'envoyHttpAls', 'envoyTcpAls', 'envoyOtelAls']),
  metrics: new Set(['prometheus']),
};

/** Every `MeshConfig.ExtensionProvider` kind (the `provider` oneof), in camelCase. */
export const PROVIDER_KINDS: ReadonlySet<string> = new Set([
  ...KINDS_FOR.tracing, ...KINDS_FOR.accessLogging, ...KINDS_FOR.metrics,
  'envoyExtAuthzHttp', 'envoyExtAuthzGrpc', 'opencensus', 'stackdriver', 'sds',
]);

/** A named provider of the MeshConfig (Istio's built-in ones merged in): its name and kind (`zipkin`, `envoyFileAccessLog` …). */
export interface NamedProvider { readonly name: string; readonly kind: string }

/**
 * The provider a Telemetry's `providers[].name` resolves to, as istiod's `Telemetries.fetchProvider`
 * finds it: the first extension provider whose name equals it ignoring case; undefined when none.
 */
export function fetchProvider(meshConfig: MeshConfig, name: string): NamedProvider | undefined {
  const lower = name.toLowerCase();
  for (const p of extensionProvidersOf(meshConfig).byName.values()) if (p.name.toLowerCase() === lower) return p;
  return undefined;
}

/** The names of the MeshConfig's extension providers (built-in ones included), in order. */
export function providerNamesOf(meshConfig: MeshConfig): string[] {
  return [...extensionProvidersOf(meshConfig).byName.keys()];
}

/** The MeshConfig's raw `extensionProviders` entries with their index (for pointing at one). */
export function rawExtensionProviders(meshConfig: MeshConfig): { readonly index: number; readonly entry: Record<string, unknown> }[] {
  const list = meshConfig.raw.extensionProviders;
  return Array.isArray(list) ? list.flatMap((entry, index) => (isRecord(entry) ? [{ index, entry }] : [])) : [];
}

/** `defaultProviders.accessLogging` of the MeshConfig (jsonpb also accepts `access_logging`); empty when absent. */
export function defaultAccessLogProviders(meshConfig: MeshConfig): string[] {
  const d = meshConfig.raw.defaultProviders;
  if (!isRecord(d)) return [];
  const list = d.accessLogging ?? d.access_logging;
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : [];
}

/** A Telemetry attached with `targetRef` / `targetRefs` (to a Gateway, Service or ServiceEntry), not by selector or namespace. */
export function usesTargetRefs(t: MeshObject): boolean {
  return t.spec.targetRef !== undefined && t.spec.targetRef !== null || Array.isArray(t.spec.targetRefs) && t.spec.targetRefs.length > 0;
}
