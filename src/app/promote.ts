import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPECTATIONS_PATH } from '../verify/expectations/path.js';

/**
 * How a synthesized output reaches `dist/` and `.meshproof/sourcemap.json` together.
 *
 * `MeshApp` writes a whole synth into a stage folder that mirrors the project
 * (`<stage>/dist/…`, `<stage>/.meshproof/sourcemap.json`, `<stage>/stage.json`). Publishing the
 * stage ("promotion") swaps both into the project with renames, under a journal:
 *
 *   1. write `.meshproof/promotion.json` (what existed before)      ← from here recovery rolls back
 *   2. move the current `dist/` and source map into `.meshproof/previous/`
 *   3. move the staged `dist/` and source map into place
 *   4. delete the journal                                              ← commit point
 *   5. delete `.meshproof/previous/` and the stage
 *
 * A process killed anywhere in 1–4 leaves the journal; `recoverPromotion` (run before every synth
 * and every promotion) then restores the previous `dist/` and source map exactly. Killed in 5, the
 * new output is already complete and only leftovers are removed.
 *
 * A `dist/` that is a symlink (`dist -> ../deploy-repo/dist`) stays one: the swap happens at the
 * link's target instead, with the new output copied first next to the target (same filesystem, so
 * the renames stay atomic) and the previous one kept there until the commit point.
 */

/** Source map path relative to the project root (and to the stage root). */
export const SOURCE_MAP_PATH = '.meshproof/sourcemap.json';
/** Where `cdk8s synth` writes (cdk8s.yaml `output:`): the stage, relative to the project root. */
export const STAGE_DIR = '.meshproof/synth';
/** The promises `meshproof verify` checks, published with the source map (see src/verify/expectations/). */
const EXPECTATIONS = EXPECTATIONS_PATH;
export { EXPECTATIONS_PATH };
const STAGE_INFO = 'stage.json';
const JOURNAL = '.meshproof/promotion.json';
const PREVIOUS = '.meshproof/previous';

/** `<stage>/stage.json`: what the stage holds, written last, so a half-written stage has none. */
export interface StageInfo {
  readonly version: 1;
  /** Output folder relative to the project root, `/`-separated (e.g. `dist`). */
  readonly outdir: string;
  /** Whether the stage holds a source map to publish with the manifests. */
  readonly sourceMap: boolean;
}

interface Journal {
  readonly version: 1;
  readonly outdir: string;
  readonly hadOutdir: boolean;
  readonly sourceMap: boolean;
  readonly hadSourceMap: boolean;
  /** Whether an expectations file existed before (absent in journals of older versions: false). */
  readonly hadExpectations?: boolean;
  /** Absolute path the output is swapped at when the output folder is a symlink: its target. Absent: `<root>/<outdir>`. */
  readonly outTarget?: string;
}

/** Where a symlinked output folder's previous content waits until the commit point: next to its target. */
const savedBeside = (target: string): string => `${target}.meshproof-previous`;
/** Where a symlinked output folder's new content is copied before the swap: next to its target. */
const incomingBeside = (target: string): string => `${target}.meshproof-incoming`;

/**
 * The folder the output is swapped at: `finalOut` itself, or, when it is a symlink, the folder it
 * points to (resolved through every link; a dangling link's target is created by the swap).
 */
function outputTarget(finalOut: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(finalOut);
  } catch {
    return undefined;
  }
  if (!st.isSymbolicLink()) return undefined;
  try {
    return fs.realpathSync(finalOut);
  } catch {
    return path.resolve(path.dirname(finalOut), fs.readlinkSync(finalOut));
  }
}

/** Records what a complete stage holds; call after every file of the stage is written. */
export function sealStage(stageRoot: string, info: Omit<StageInfo, 'version'>): void {
  fs.writeFileSync(path.join(stageRoot, STAGE_INFO), `${JSON.stringify({ version: 1, ...info })}\n`);
}

/** The stage's description, or undefined when the stage is missing or was never completed. */
export function readStage(stageRoot: string): StageInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(stageRoot, STAGE_INFO), 'utf8')) as StageInfo;
    return info?.version === 1 && typeof info.outdir === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

export interface PromoteOptions {
  /** Publish a copy and leave the stage in place (cdk8s lists the stage after the app exits). @default false */
  readonly keepStage?: boolean;
  /** Test hook: called after each numbered step above; throwing simulates a crash there. */
  readonly afterStep?: (step: number) => void;
}

/** What a promotion did beyond publishing the stage. */
export interface PromoteResult {
  /**
   * Files of the previous output folder the synth did not write, which the swap deleted (relative to
   * the project root, `/`-separated, sorted): a hand-written file kept in `dist/` does not survive a synth.
   */
  readonly removed: readonly string[];
}

/**
 * Publishes a sealed stage into the project at `root`. Throws (leaving the previous output as it
 * was) when the stage is incomplete or a rename fails.
 */
export function promote(root: string, stageRoot: string, options: PromoteOptions = {}): PromoteResult {
  recoverPromotion(root);
  const info = readStage(stageRoot);
  if (!info) throw new Error(`meshproof: ${stageRoot} holds no complete synth (no ${STAGE_INFO}); nothing was published`);
  const step = options.afterStep ?? (() => {});
  const finalOut = path.join(root, info.outdir);
  const finalMap = path.join(root, SOURCE_MAP_PATH);
  let stagedOut = path.join(stageRoot, info.outdir);
  const stagedMap = path.join(stageRoot, SOURCE_MAP_PATH);
  const finalExpect = path.join(root, EXPECTATIONS);
  const stagedExpect = path.join(stageRoot, EXPECTATIONS);
  const previous = path.join(root, PREVIOUS);

  if (options.keepStage) {
    const copy = path.join(root, '.meshproof', 'incoming');
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(stagedOut, copy, { recursive: true });
    stagedOut = copy;
  }
  fs.rmSync(previous, { recursive: true, force: true });
  fs.mkdirSync(previous, { recursive: true });
  const linked = outputTarget(finalOut);
  const outTarget = linked ?? finalOut;
  const savedOut = linked ? savedBeside(linked) : path.join(previous, 'outdir');
  const staged = new Set(filesUnder(stagedOut));
  const removed = filesUnder(outTarget).filter((f) => !staged.has(f)).map((f) => `${info.outdir}/${f}`).sort();
  if (linked) {
    // The link's target may be on another filesystem: copy the new output beside it first.
    fs.rmSync(incomingBeside(linked), { recursive: true, force: true });
    fs.rmSync(savedOut, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(linked), { recursive: true });
    fs.cpSync(stagedOut, incomingBeside(linked), { recursive: true });
    stagedOut = incomingBeside(linked);
  }
  const journal: Journal = {
    version: 1,
    outdir: info.outdir,
    hadOutdir: fs.existsSync(outTarget),
    sourceMap: info.sourceMap,
    hadSourceMap: info.sourceMap && fs.existsSync(finalMap),
    hadExpectations: info.sourceMap && fs.existsSync(finalExpect),
    ...(linked ? { outTarget: linked } : {}),
  };
  writeAtomically(path.join(root, JOURNAL), `${JSON.stringify(journal)}\n`);
  step(1);
  if (journal.hadOutdir) fs.renameSync(outTarget, savedOut);
  if (journal.hadSourceMap) fs.renameSync(finalMap, path.join(previous, 'sourcemap.json'));
  if (journal.hadExpectations) fs.renameSync(finalExpect, path.join(previous, 'expectations.json'));
  step(2);
  fs.mkdirSync(path.dirname(outTarget), { recursive: true });
  fs.renameSync(stagedOut, outTarget);
  if (info.sourceMap) fs.copyFileSync(stagedMap, finalMap);
  if (info.sourceMap && fs.existsSync(stagedExpect)) fs.copyFileSync(stagedExpect, finalExpect);
  step(3);
  fs.rmSync(path.join(root, JOURNAL));
  step(4);
  fs.rmSync(previous, { recursive: true, force: true });
  if (linked) fs.rmSync(savedOut, { recursive: true, force: true });
  if (!options.keepStage) fs.rmSync(stageRoot, { recursive: true, force: true });
  return { removed };
}

/** The line telling which files a synth removed from the output folder, or undefined when none. */
export function removedNotice(outdir: string, removed: readonly string[]): string | undefined {
  if (removed.length === 0) return undefined;
  const shown = removed.slice(0, 10).join(', ') + (removed.length > 10 ? `, … (${removed.length - 10} more)` : '');
  return `meshproof: removed ${removed.length} file${removed.length === 1 ? '' : 's'} from ${outdir}/ that the synth did not write: ${shown}. ${outdir}/ holds only what the app synthesizes (it is replaced whole); keep other files outside it (git has the removed ones)`;
}

/** Files under `dir`, relative and `/`-separated; none when it does not exist. */
function filesUnder(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/**
 * Finishes what an interrupted promotion left: with a journal, puts the previous output and source
 * map back exactly as they were; without one, removes leftovers. Returns true when it rolled back.
 */
export function recoverPromotion(root: string): boolean {
  const journalFile = path.join(root, JOURNAL);
  const previous = path.join(root, PREVIOUS);
  let journal: Journal | undefined;
  try {
    journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as Journal;
  } catch {
    journal = undefined;
  }
  if (journal?.version === 1) {
    const target = journal.outTarget;
    if (target !== undefined) {
      restore(target, savedBeside(target), journal.hadOutdir);
      fs.rmSync(incomingBeside(target), { recursive: true, force: true });
    } else {
      restore(path.join(root, journal.outdir), path.join(previous, 'outdir'), journal.hadOutdir);
    }
    if (journal.sourceMap) restore(path.join(root, SOURCE_MAP_PATH), path.join(previous, 'sourcemap.json'), journal.hadSourceMap);
    if (journal.sourceMap) restore(path.join(root, EXPECTATIONS), path.join(previous, 'expectations.json'), journal.hadExpectations === true);
  }
  fs.rmSync(journalFile, { force: true });
  fs.rmSync(previous, { recursive: true, force: true });
  fs.rmSync(path.join(root, '.meshproof', 'incoming'), { recursive: true, force: true });
  return journal?.version === 1;
}

/**
 * Puts `target` back to its state before the promotion: if it existed, its saved copy is in
 * `saved` unless the promotion never moved it (then `target` is still the original).
 */
function restore(target: string, saved: string, existed: boolean): void {
  if (existed) {
    if (!fs.existsSync(saved)) return;
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(saved, target);
  } else {
    fs.rmSync(target, { recursive: true, force: true });
  }
}

/** Writes a file through a temporary sibling and a rename, so readers never see half of it. */
export function writeAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
