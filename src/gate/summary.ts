/**
 * The gate's job summary, the page a reviewer reads instead of a YAML diff: the verdict, the
 * findings table, the semantic diff of dist/ against the base, a Mermaid diagram of each changed
 * host's traffic, and the traffic-proof report. GitHub refuses a step summary over 1 MiB, so the
 * sections are added in that order of importance and the first one that does not fit is cut at a
 * line with a note saying what was left out; the upload never fails for size.
 */
import type { CheckResult } from '../checks/types.js';
import { summaryMarkdown } from '../checks/reporters/github.js';
import { renderMarkdown as diffMarkdown } from '../diff/render.js';
import type { MeshDiff } from '../diff/semantic-diff.js';
import { hostDiagramMarkdown } from '../map/mermaid.js';
import type { HostMap } from '../map/traffic.js';

/** GitHub's limit is 1 MiB per step; keep a margin for what other steps append. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 16 * 1024;

/** Diagrams drawn at most (one per changed host); the rest are counted. */
export const MAX_DIAGRAMS = 20;

export interface GateSummaryInput {
  readonly passed: boolean;
  /** One line saying why, e.g. `2 errors at or above fail-on error`. */
  readonly verdict: string;
  /** Null when the check could not run (the verdict says why). */
  readonly check: CheckResult | null;
  /** Null when there is no base to compare with; `diffNote` says why. */
  readonly diff: MeshDiff | null;
  readonly diffNote?: string;
  /** Short name of the base, e.g. `main (3f2a9c1)`. */
  readonly baseName?: string;
  /** Hosts whose routing changed, in the head's state (or the base's when removed). */
  readonly changedHosts: readonly HostMap[];
  /** Markdown of `meshproof verify`, or a note why it did not run; null when verify was not asked for. */
  readonly verify: string | null;
  /** Annotations left out because of GitHub's caps. */
  readonly omittedAnnotations: number;
}

/** Text for Markdown outside code: HTML metacharacters as entities, so a host name cannot open a tag. */
function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cuts `text` at a line so that it plus `note` fits `budget` bytes. */
function cut(text: string, budget: number, note: string): string {
  const room = budget - bytes(note);
  if (room <= 0) return '';
  let out = '';
  let used = 0;
  for (const line of text.split('\n')) {
    const size = bytes(line) + 1;
    if (used + size > room) break;
    out += `${line}\n`;
    used += size;
  }
  // A cut inside a fenced block would swallow the note: close the fence.
  if ((out.match(/^```/gm) ?? []).length % 2 === 1) out += '```\n';
  return out + note;
}

/** The summary Markdown, never over `limit` bytes. */
export function gateSummary(input: GateSummaryInput, limit = SUMMARY_LIMIT_BYTES): string {
  const sections: { title: string; body: string }[] = [];
  sections.push({
    title: 'verdict',
    body: `# meshproof gate: ${input.passed ? 'passed' : 'failed'}\n\n${input.verdict}\n${input.omittedAnnotations > 0 ? `\n${input.omittedAnnotations} findings are not annotated on the diff (GitHub shows 10 per level); the table below lists them all.\n` : ''}\n`,
  });
  if (input.check) sections.push({ title: 'findings', body: `${summaryMarkdown(input.check, Math.floor(limit / 2)).replace(/^## /, '## Findings: ')}\n` });
  const diffTitle = `## What changed in dist/${input.baseName ? ` since ${input.baseName}` : ''}\n\n`;
  if (input.diff) sections.push({ title: 'diff', body: `${diffTitle}${diffMarkdown(input.diff)}\n` });
  else if (input.diffNote) sections.push({ title: 'diff', body: `${diffTitle}_${input.diffNote}_\n\n` });
  if (input.changedHosts.length > 0) {
    const shown = input.changedHosts.slice(0, MAX_DIAGRAMS);
    const more = input.changedHosts.length - shown.length;
    sections.push({
      title: 'traffic',
      body: `## Traffic of the changed hosts\n\n${shown.map((h) => `### ${text(h.host)}\n\n${hostDiagramMarkdown(h)}`).join('\n')}${more > 0 ? `\n_${more} more changed hosts not drawn; \`meshproof map\` draws them all._\n` : ''}\n`,
    });
  }
  if (input.verify !== null) sections.push({ title: 'verify', body: `## Traffic proof\n\n${input.verify}\n` });

  let out = '';
  for (const [i, s] of sections.entries()) {
    if (bytes(out) + bytes(s.body) <= limit) {
      out += s.body;
      continue;
    }
    const left = sections.slice(i + 1).map((x) => x.title);
    const note = `\n_The job summary is limited to 1 MiB: the ${s.title} section was cut here${left.length > 0 ? ` and ${left.join(', ')} left out` : ''}. Run \`meshproof check --format json\`${input.diff ? ' and `meshproof diff`' : ''} locally for everything._\n`;
    out += cut(s.body, limit - bytes(out), note);
    break;
  }
  return out;
}
