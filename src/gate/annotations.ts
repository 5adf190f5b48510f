/**
 * Which annotations the gate writes. Each finding is annotated twice when it came from a cdk8s app:
 * on the TypeScript line that produced the object (what the author edits) and on the YAML line in
 * dist/. GitHub shows at most 10 annotations per level per step and drops the rest silently, so
 * findings are ranked: most severe first, then those on lines the pull request touched, then file
 * order; when anything is left out, the last notice slot says how many and points at the summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEVERITY_ORDER, type Finding, type Severity } from '../checks/types.js';
import { codeOf, describeResource, repoPath, sortFindings } from '../checks/reporters/_shared.js';
import { fileLine } from '../mesh/lines.js';

/** GitHub's per-step cap for each annotation level. */
export const ANNOTATIONS_PER_LEVEL = 10;

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface PlannedAnnotation {
  readonly level: AnnotationLevel;
  readonly title: string;
  readonly message: string;
  /** Repository-relative path; absent for a finding about stdin. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export interface AnnotationPlan {
  readonly annotations: readonly PlannedAnnotation[];
  /** Findings with no annotation at all. */
  readonly omittedFindings: number;
  /** True when some finding lost one or both of its annotations: an overflow notice is due. */
  readonly overflow: boolean;
}

const LEVEL: Record<Severity, AnnotationLevel> = { error: 'error', warning: 'warning', info: 'notice' };

/**
 * Whether the pull request touched what a finding is about: its TypeScript line, or any line of the
 * YAML document (the object) it points into. A weight changed three lines below the `route:` key the
 * finding names is still this change's finding.
 */
function touches(f: Finding, touched: ReadonlyMap<string, ReadonlySet<number>> | null, cwd: string, docs: DocumentIndex): boolean {
  if (touched === null) return false;
  if (f.source && touched.get(repoPath(f.source.file, cwd))?.has(f.source.line)) return true;
  const lines = touched.get(repoPath(f.location.file, cwd));
  if (!lines || lines.size === 0) return false;
  const [start, end] = docs.rangeOf(f.location.file, f.location.line);
  for (const l of lines) if (l >= start && l <= end) return true;
  return false;
}

/** Line ranges of the YAML documents of the files findings point into (read once per file). */
class DocumentIndex {
  private readonly starts = new Map<string, number[]>();
  constructor(private readonly cwd: string) {}

  /** `[first, last]` line of the document holding `line` (the whole file when it cannot be read). */
  rangeOf(file: string, line: number): [number, number] {
    let starts = this.starts.get(file);
    if (starts === undefined) {
      starts = [1];
      try {
        const text = fs.readFileSync(path.resolve(this.cwd, file), 'utf8');
        let n = 1;
        for (let i = 0; i < text.length; i++) {
          if (text.charCodeAt(i) !== 10) continue;
          n++;
          if (text.startsWith('---', i + 1) && /^---(\s|$)/.test(text.slice(i + 1, i + 5))) starts.push(n);
        }
      } catch {
        // Unreadable: one document, the whole file.
      }
      this.starts.set(file, starts);
    }
    let lo = 0;
    while (lo + 1 < starts.length && starts[lo + 1]! <= line) lo++;
    return [starts[lo]!, lo + 1 < starts.length ? starts[lo + 1]! - 1 : Number.MAX_SAFE_INTEGER];
  }
}

function annotationsOf(f: Finding, cwd: string): PlannedAnnotation[] {
  const level = LEVEL[f.severity];
  const title = `meshproof [${codeOf(f)}]${f.istioCode ? ` ${f.ruleId}` : ''}`;
  const subject = f.resource ? `${describeResource(f.resource)}: ` : '';
  const yaml = f.location.file === '-' ? null : fileLine({ ...f.location, file: repoPath(f.location.file, cwd) });
  const out: PlannedAnnotation[] = [];
  if (f.source) {
    out.push({ level, title, message: `${subject}${f.message}\nIn the synthesized YAML at ${yaml ?? 'stdin'} (construct ${f.source.constructPath}).`, file: repoPath(f.source.file, cwd), line: f.source.line });
  }
  if (yaml !== null) {
    out.push({
      level,
      title,
      message: `${subject}${f.message}${f.source ? `\nDefined at ${f.source.file}:${f.source.line} (${f.source.constructPath}).` : ''}`,
      file: repoPath(f.location.file, cwd),
      ...(f.location.line >= 1 ? { line: f.location.line } : {}),
      ...(f.location.line >= 1 && f.location.column >= 1 ? { column: f.location.column } : {}),
    });
  } else if (!f.source) out.push({ level, title, message: `${subject}${f.message}` });
  return out;
}

/** Ranks findings and fills each level's 10 slots; `touched` is null when the base is unknown. */
export function planAnnotations(findings: readonly Finding[], touched: ReadonlyMap<string, ReadonlySet<number>> | null, cwd: string): AnnotationPlan {
  const docs = new DocumentIndex(cwd);
  const ranked = SEVERITY_ORDER.map((s) => {
    const ofLevel = sortFindings(findings.filter((f) => f.severity === s));
    const hit = new Set(ofLevel.filter((f) => touches(f, touched, cwd, docs)));
    return [...ofLevel.filter((f) => hit.has(f)), ...ofLevel.filter((f) => !hit.has(f))];
  });
  const fill = (noticeSlots: number) => {
    const planned: PlannedAnnotation[] = [];
    let annotated = 0;
    let overflow = false;
    const slotsLeft = new Map<AnnotationLevel, number>([['error', ANNOTATIONS_PER_LEVEL], ['warning', ANNOTATIONS_PER_LEVEL], ['notice', noticeSlots]]);
    for (const f of ranked.flat()) {
      const own = annotationsOf(f, cwd);
      const left = slotsLeft.get(own[0]!.level)!;
      const take = own.slice(0, left);
      if (take.length < own.length) overflow = true;
      if (take.length === 0) continue;
      planned.push(...take);
      slotsLeft.set(own[0]!.level, left - take.length);
      annotated++;
    }
    return { planned, annotated, overflow };
  };
  // When anything is left out, the overflow note takes the last notice slot.
  let run = fill(ANNOTATIONS_PER_LEVEL);
  if (run.overflow) run = fill(ANNOTATIONS_PER_LEVEL - 1);
  const planned = run.planned;
  const omittedFindings = findings.length - run.annotated;
  return { annotations: planned, omittedFindings, overflow: run.overflow };
}
