#!/usr/bin/env node
// Writes schemas/kubernetes/workload-ranges.json: for each workload kind (Deployment, StatefulSet,
// ReplicaSet, DaemonSet, Job, CronJob, Pod, ReplicationController, PodTemplate), a structural schema
// holding only the paths to its `format: int32` fields, from the Kubernetes OpenAPI as
// @kubernetes/client-node generates it (each model's attributeTypeMap keeps `type` and `format`).
// Every object keeps `x-kubernetes-preserve-unknown-fields`, so nothing but those numbers is judged.
// Port fields also get the range the API server's validation gives them (ValidateContainerPorts,
// validateProbe). src/validate/codegen.ts compiles it as it compiles the CRDs; schema/workload-ranges
// reports what it finds. Data only; update the provenance in schemas/kubernetes/SOURCES.md.
//
//   node scripts/gen-k8s-ranges.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(dirname(require.resolve('@kubernetes/client-node')), '..', 'package.json'), 'utf8'));
const openapi = /OpenAPI spec version: (\S+)/.exec(readFileSync(join(dirname(require.resolve('@kubernetes/client-node')), 'gen', 'models', 'V1Deployment.js'), 'utf8'))?.[1];

/** The roots: apiVersion, kind, and the client-node model of the object. */
const KINDS = [
  ['apps/v1', 'DaemonSet', 'V1DaemonSet'],
  ['apps/v1', 'Deployment', 'V1Deployment'],
  ['apps/v1', 'ReplicaSet', 'V1ReplicaSet'],
  ['apps/v1', 'StatefulSet', 'V1StatefulSet'],
  ['batch/v1', 'CronJob', 'V1CronJob'],
  ['batch/v1', 'Job', 'V1Job'],
  ['v1', 'Pod', 'V1Pod'],
  ['v1', 'PodTemplate', 'V1PodTemplate'],
  ['v1', 'ReplicationController', 'V1ReplicationController'],
];

/** `model.field` → the range the API server's validation gives that int32 beyond its type, and why. */
const PORTS = {
  'V1ContainerPort.containerPort': { minimum: 1, maximum: 65535, 'x-meshproof-range-why': 'a port number, and the API server refuses others (ValidateContainerPorts)' },
  'V1ContainerPort.hostPort': { minimum: 0, maximum: 65535, 'x-meshproof-range-why': 'a port number (0: none), and the API server refuses others (ValidateContainerPorts)' },
  'V1GRPCAction.port': { minimum: 1, maximum: 65535, 'x-meshproof-range-why': 'a port number, and the API server refuses others (validateProbe)' },
};
const INT32_WHY = 'the field is an int32, and the API server refuses values outside its range';

/** Status is written by controllers, never applied from Git. */
const SKIPPED = new Set(['status']);

/** The schema of client-node type `type` (`V1PodSpec`, `Array<V1Container>`, `number`), or undefined when it holds no int32. */
function schemaOf(type, format, owner, field, stack) {
  if (type === 'number') {
    if (format !== 'int32') return undefined;
    return { type: 'integer', format: 'int32', ...(PORTS[`${owner}.${field}`] ?? { 'x-meshproof-range-why': INT32_WHY }) };
  }
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    const items = schemaOf(array[1], format, owner, field, stack);
    return items && { type: 'array', items };
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    const values = schemaOf(map[1], format, owner, field, stack);
    return values && { type: 'object', additionalProperties: values };
  }
  const model = k8s[type];
  if (typeof model?.getAttributeTypeMap !== 'function' || stack.includes(type)) return undefined;
  const properties = {};
  for (const a of model.getAttributeTypeMap()) {
    if (SKIPPED.has(a.baseName)) continue;
    const s = schemaOf(a.type, a.format, type, a.baseName, [...stack, type]);
    if (s) properties[a.baseName] = s;
  }
  if (Object.keys(properties).length === 0) return undefined;
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: Object.fromEntries(Object.entries(properties).sort(([a], [b]) => a.localeCompare(b))) };
}

const kinds = KINDS.map(([apiVersion, kind, model]) => {
  const schema = schemaOf(model, '', '', '', []);
  if (!schema) throw new Error(`${model}: no int32 field found; has @kubernetes/client-node changed its models?`);
  return { apiVersion, kind, schema };
});
for (const [field] of Object.entries(PORTS)) {
  if (!JSON.stringify(kinds).includes('"x-meshproof-range-why":"' + PORTS[field]['x-meshproof-range-why'].replace(/"/g, '\\"'))) throw new Error(`${field}: not found in any kind`);
}
const out = { source: { package: '@kubernetes/client-node', version: pkg.version, openapi }, kinds };
const file = join(root, 'schemas', 'kubernetes', 'workload-ranges.json');
writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
const fields = (JSON.stringify(kinds).match(/"format":"int32"/g) ?? []).length;
console.log(`gen-k8s-ranges: ${kinds.length} kinds, ${fields} int32 fields (client-node ${pkg.version}, Kubernetes OpenAPI ${openapi}) → schemas/kubernetes/workload-ranges.json`);
