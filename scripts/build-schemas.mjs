#!/usr/bin/env node
// Generates lib/generated/crds/ (CRD index, schemas and ajv standalone validators) from
// schemas/istio/crd-all.gen.yaml and schemas/gateway-api/*.yaml. Run by `npm run build` after tsc;
// see src/validate/codegen.ts.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { generateValidatorArtifacts, readCrdSources } = await import(join(root, 'lib/src/validate/codegen.js'));
const { GENERATED_PATH } = await import(join(root, 'lib/src/validate/generated.js'));

const started = Date.now();
const files = generateValidatorArtifacts(readCrdSources());
const out = join(root, ...GENERATED_PATH);
// Write beside, then swap: an interrupted build never leaves a half-written folder in place.
const staging = `${out}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
let bytes = 0;
for (const [name, text] of files) {
  writeFileSync(join(staging, name), text);
  bytes += Buffer.byteLength(text);
}
rmSync(out, { recursive: true, force: true });
renameSync(staging, out);
console.log(`build-schemas: ${files.size} files, ${(bytes / 1024).toFixed(0)} KiB in ${out.slice(root.length + 1)} (${Date.now() - started} ms)`);
