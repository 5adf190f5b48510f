#!/usr/bin/env node
// Turns Istio's annotation catalogue (istio/api annotation/annotations.yaml) into
// schemas/istio/annotations.json, the data the annotations/* rules read (istioctl analyze's
// annotation.AllResourceAnnotations()). Data only: name, feature status, deprecated, hidden and
// the resource kinds each annotation attaches to. Update the provenance in schemas/istio/SOURCES.md.
//
//   node scripts/gen-annotations.mjs <path to annotations.yaml> <commit> <blob>
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const [file, commit, blob] = process.argv.slice(2);
if (!file || !/^[0-9a-f]{40}$/.test(commit ?? '') || !/^[0-9a-f]{40}$/.test(blob ?? '')) {
  console.error('usage: node scripts/gen-annotations.mjs <annotations.yaml> <istio/api commit> <blob sha>');
  process.exit(2);
}
const doc = parse(readFileSync(file, 'utf8'));
if (!Array.isArray(doc?.annotations)) {
  console.error(`${file}: no top-level "annotations" list; is this istio/api annotation/annotations.yaml?`);
  process.exit(2);
}
const annotations = doc.annotations.map((a, i) => {
  if (typeof a?.name !== 'string' || !Array.isArray(a.resources) || a.resources.length === 0) {
    console.error(`${file}: annotations[${i}] has no name or no resources`);
    process.exit(2);
  }
  return { name: a.name, featureStatus: a.featureStatus ?? 'Alpha', deprecated: a.deprecated === true, hidden: a.hidden === true, resources: a.resources.map(String) };
}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'istio', 'annotations.json');
const data = { source: { repo: 'istio/api', path: 'annotation/annotations.yaml', commit, blob }, annotations };
// One annotation a line, so an update reads as a diff of names.
const text = `{\n "source": ${JSON.stringify(data.source)},\n "annotations": [\n${annotations.map((a) => `  ${JSON.stringify(a)}`).join(',\n')}\n ]\n}\n`;
writeFileSync(out, text);
console.log(`gen-annotations: ${annotations.length} annotations -> ${out}`);
