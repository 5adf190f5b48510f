// Prints the Namespace objects of the manifests in the given folders as one YAML stream, and a
// Namespace for every namespace an object names without declaring it (what `kubectl apply
// --dry-run=server` needs to exist first). Used by .github/workflows/e2e-kind.yml.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const names = new Set();
const walk = (p) => (statSync(p).isDirectory() ? readdirSync(p).sort().flatMap((f) => walk(join(p, f))) : /\.(ya?ml)$/.test(p) ? [p] : []);
for (const file of process.argv.slice(2).flatMap(walk)) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = doc.toJS();
    if (!o || typeof o !== 'object') continue;
    if (o.kind === 'Namespace' && o.metadata?.name) names.add(o.metadata.name);
    else if (typeof o.metadata?.namespace === 'string') names.add(o.metadata.namespace);
  }
}
process.stdout.write([...names].sort().map((name) => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).join('---\n'));
