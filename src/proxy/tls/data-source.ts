/**
 * `envoy.config.core.v3.DataSource` as TLS material: `filename`, `inline_bytes`, `inline_string`,
 * `environment_variable`. Files are read on every call, so a certificate rotated on disk applies to
 * the next connection that builds a context.
 */
import { readFileSync } from 'node:fs';
import type { DataSource } from '../../xds/gen/envoy/config/core/v3/base_pb.js';

/** The bytes of a DataSource, or undefined when unset. Throws `Error` naming `field` and the file when it cannot be read. */
export function readDataSource(ds: DataSource | undefined, field: string): Buffer | undefined {
  const s = ds?.specifier;
  switch (s?.case) {
    case undefined: return undefined;
    case 'filename':
      try { return readFileSync(s.value); } catch (e) { throw new Error(`${field}.filename: cannot read ${JSON.stringify(s.value)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    case 'inlineBytes': return Buffer.from(s.value);
    case 'inlineString': return Buffer.from(s.value);
    case 'environmentVariable': {
      const v = process.env[s.value];
      if (v === undefined) throw new Error(`${field}.environment_variable: ${s.value} is not set`);
      return Buffer.from(v);
    }
  }
}
