/**
 * Renders a MeshDiff as text (terminal), Markdown (PR job summary) or JSON (tools). Text and Markdown
 * cap what one object can print (`maxFields`, long values cut) so a huge change stays readable and
 * the summary stays within GitHub's 1 MiB; JSON is complete.
 */
import type { ChangedObject, DiffObject, FieldChange, MeshDiff } from './semantic-diff.js';
import { formatPath } from './semantic-diff.js';
import type { SplitChange } from './route-splits.js';
import type { RouteChange } from './route-order.js';

export const DIFF_FORMATS = ['text', 'json', 'markdown'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export interface RenderOptions {
  /** Field rows printed per changed object before "… and N more". @default 25 */
  readonly maxFields?: number;
  /** Characters of one value printed before it is cut. @default 100 */
  readonly maxValue?: number;
}

function value(v: unknown, max: number): string {
  if (v === undefined) return '—';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function name(o: DiffObject): string {
  const ns = o.ref.namespace === '' ? '' : `${o.ref.namespace}/`;
  return safe(`${o.ref.kind} ${ns}${o.ref.name}`);
}

function where(o: DiffObject): string {
  const ts = o.source ? ` (${o.source.file}:${o.source.line})` : '';
  return `${o.location.file}:${o.location.line}${ts}`;
}

function weight(w: number | null): string {
  return w === null ? '—' : String(w);
}

function splitLine(s: SplitChange): string {
  return safe(`${s.route}: ${s.weights.map((w) => `${w.destination} ${weight(w.before)} → ${weight(w.after)}`).join(', ')}`);
}

/** `http[1] "pinned" moved from http[0] (first-match order changed)`, `http[0] added`, `tcp[2] "db" removed`. */
function routeLine(r: RouteChange): string {
  const label = (i: number) => `${r.section}[${i}]${r.name === undefined ? '' : ` ${JSON.stringify(r.name)}`}`;
  if (r.change === 'added') return safe(`${label(r.after!)} added`);
  if (r.change === 'removed') return safe(`${label(r.before!)} removed (its index in the base)`);
  const now = (r.crossed ?? []).map((c) => `${c.nowBefore ? 'before' : 'after'} ${c.label}`);
  const where = now.length > 0 ? ` (now ${now.join(', ')}; the other way round in the base)` : '';
  return safe(`${label(r.after!)} moved from ${r.section}[${r.before}]${where}: the first-match order changed, so the routes it now precedes or follows may get other requests`);
}

function fieldLine(f: FieldChange, max: number): string {
  if (!('before' in f)) return `+ ${formatPath(f.path)}: ${value(f.after, max)}`;
  if (!('after' in f)) return `- ${formatPath(f.path)}: ${value(f.before, max)}`;
  return `~ ${formatPath(f.path)}: ${value(f.before, max)} → ${value(f.after, max)}`;
}

/** One line per count: `2 added, 1 removed, 3 changed`, or `no changes`. */
export function diffHeadline(d: MeshDiff): string {
  if (d.added.length + d.removed.length + d.changed.length === 0) return 'no changes';
  return `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`;
}

export function renderText(d: MeshDiff, opts: RenderOptions = {}): string {
  const maxFields = opts.maxFields ?? 25;
  const maxValue = opts.maxValue ?? 100;
  const out: string[] = [];
  for (const o of d.added) out.push(`added    ${name(o)}  ${where(o)}`);
  for (const o of d.removed) out.push(`removed  ${name(o)}  ${where(o)} (in the base)`);
  for (const o of d.changed) {
    out.push(`changed  ${name(o)}  ${where(o)}`);
    for (const r of o.routes) out.push(`  route  ${routeLine(r)}`);
    for (const s of o.splits) out.push(`  split  ${splitLine(s)}`);
    for (const f of o.fields.slice(0, maxFields)) out.push(`  ${fieldLine(f, maxValue)}`);
    if (o.fields.length > maxFields) out.push(`  … and ${o.fields.length - maxFields} more fields (--format json lists all)`);
  }
  out.push(diffHeadline(d));
  return `${out.join('\n')}\n`;
}

function cell(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A name for a terminal line: control characters (ESC, CR, LF…) shown as \\uXXXX, never emitted raw. */
function safe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function changedMarkdown(o: ChangedObject, maxFields: number, maxValue: number): string[] {
  const out = [`#### ${cell(name(o))}`, '', `\`${cell(where(o))}\``, ''];
  if (o.routes.length > 0) {
    out.push(...o.routes.map((r) => `- Route ${cell(routeLine(r))}`), '');
  }
  if (o.splits.length > 0) {
    out.push('| Route | Destination | Weight before | Weight after |', '|---|---|---:|---:|');
    for (const s of o.splits) for (const w of s.weights) out.push(`| ${cell(s.route)} | ${cell(w.destination)} | ${weight(w.before)} | ${weight(w.after)} |`);
    out.push('');
  }
  out.push('| Field | Before | After |', '|---|---|---|');
  for (const f of o.fields.slice(0, maxFields)) out.push(`| \`${cell(formatPath(f.path))}\` | ${cell(value(f.before, maxValue))} | ${cell(value(f.after, maxValue))} |`);
  if (o.fields.length > maxFields) out.push(`| … ${o.fields.length - maxFields} more fields | | |`);
  out.push('');
  return out;
}

export function renderMarkdown(d: MeshDiff, opts: RenderOptions = {}): string {
  const maxFields = opts.maxFields ?? 25;
  const maxValue = opts.maxValue ?? 100;
  const out = [`**${diffHeadline(d)}**`, ''];
  const list = (title: string, objects: readonly DiffObject[], side: string) => {
    if (objects.length === 0) return;
    out.push(`### ${title}`, '', ...objects.map((o) => `- ${cell(name(o))} — \`${cell(where(o))}\`${side}`), '');
  };
  list('Added', d.added, '');
  list('Removed', d.removed, ' (in the base)');
  if (d.changed.length > 0) out.push('### Changed', '');
  for (const o of d.changed) out.push(...changedMarkdown(o, maxFields, maxValue));
  return `${out.join('\n')}\n`;
}

export function renderJson(d: MeshDiff): string {
  return `${JSON.stringify({ summary: diffHeadline(d), ...d }, null, 2)}\n`;
}

export function renderDiff(d: MeshDiff, format: DiffFormat, opts: RenderOptions = {}): string {
  return format === 'json' ? renderJson(d) : format === 'markdown' ? renderMarkdown(d, opts) : renderText(d, opts);
}
