import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A throw-away project holding a copy of the committed dist/ and .meshproof/ (expectations, source map). */
export function copyDist(): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-verify-'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(work, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(work, '.meshproof'));
  for (const f of ['expectations.json', 'sourcemap.json']) fs.copyFileSync(path.join(ROOT, '.meshproof', f), path.join(work, '.meshproof', f));
  return work;
}

/** Rewrites one object of `dist/<file>` (by kind and name) in place with `edit`. */
export function breakObject(work: string, file: string, kind: string, name: string, edit: (o: Record<string, any>) => void): void {
  const full = path.join(work, 'dist', file);
  const docs = parseAllDocuments(fs.readFileSync(full, 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const target = docs.find((d) => d?.kind === kind && d?.metadata?.name === name);
  if (!target) throw new Error(`no ${kind} ${name} in ${file}`);
  edit(target);
  fs.writeFileSync(full, docs.map((d) => stringify(d)).join('---\n'));
}
