/**
 * Regenerates the README's check catalogue (the block after `<!-- generated: ... rules --format
 * markdown -->`, up to the first blank line after the table) from the rule registry, so the table
 * cannot drift from `meshproof rules`. test/readme-catalogue.test.ts fails when it is stale.
 *
 *   npm run gen:readme-rules
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ruleCatalogue } from '../src/checks/check.js';
import { renderRules } from '../src/cli/rules-command.js';

export const README = join(import.meta.dirname, '..', 'README.md');
const MARKER = '<!-- generated: node bin/meshproof.js rules --format markdown -->';

/** The generated block: the count line, a blank line and the Markdown table. */
export function catalogueBlock(): string {
  const rules = ruleCatalogue();
  const off = rules.filter((r) => r.enabledByDefault === false).length;
  const count = `${rules.length} rules; the default \`recommended\` profile runs all but the ${off} marked off by default, \`strict\` runs all of them, \`istio-parity\` only those with an IST code.`;
  return `${count}\n\n${renderRules(rules, 'markdown')}`;
}

/** [start, end) offsets of the generated block in the README text (after the marker line). */
export function blockRange(text: string): [number, number] {
  const at = text.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md: the marker ${MARKER} is missing; put it above the check catalogue table`);
  const start = text.indexOf('\n', at) + 1;
  const table = text.indexOf('\n| ', start);
  let end = text.indexOf('\n\n', table);
  if (table < 0 || end < 0) throw new Error('README.md: no table follows the catalogue marker');
  end += 1;
  return [start, end];
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const text = readFileSync(README, 'utf8');
  const [start, end] = blockRange(text);
  const next = text.slice(0, start) + catalogueBlock() + text.slice(end);
  if (next !== text) writeFileSync(README, next);
  console.log(next === text ? 'README.md check catalogue is up to date' : 'README.md check catalogue regenerated');
}
