/**
 * Traffic judgement of the promises that are shares of requests (a weighted split, a fault abort
 * or delay percentage, a mirror percentage), sampled sequentially (`../sequential.ts`): requests go out in
 * batches and the proof stops at the first batch after which the verdict is certain at the stated
 * confidence and power, so a right config needs about half the fixed design's requests and a
 * broken one stops after the first batch.
 */
import { randomUUID } from 'node:crypto';
import type { AbortedShare, DestinationSpec, Outcome, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import { runSequential, SequentialPlan, type SequentialJudgement } from '../sequential.js';
import { formatShare, judgeShare } from '../stats.js';
import type { EchoBackend } from './echo.js';
import type { HostWorkloads } from './host-workloads.js';
import type { Sent } from './send.js';
import type { Refusal } from '../static/refusal.js';

type Of<K extends Outcome['kind']> = Extract<Outcome, { kind: K }>;

/** What a share proof needs from its caller. */
export interface ShareEnv {
  readonly confidence: number;
  readonly tolerance: number;
  /** Sends `n` requests (with per-request extra headers) through the caller, `concurrency` at a time. @default the proof's concurrency */
  readonly many: (n: number, extra?: (i: number) => Record<string, string>, concurrency?: number) => Promise<Sent[]>;
  /** Names the workload of requests an inbound sidecar refused. @default identity */
  readonly attribute?: (sent: Sent[]) => Promise<Sent[]>;
  /** Envoy response flags of sent requests from the caller's access log, by `x-request-id`. */
  readonly flagsOf?: (sent: readonly Sent[]) => Promise<ReadonlyMap<string, readonly string[]>>;
  /** Echo backends, for mirrored copies (`shadows`). */
  readonly backends: readonly EchoBackend[];
  /** The workloads each host's Services select (`hostWorkloadsOf`). @default namespace and version only */
  readonly hostWorkloads?: HostWorkloads;
  /** The refusal the config foresees at the destination's sidecars (`routeRefusal`); see {@link reachedApp}. @default none */
  readonly refusal?: Refusal | null;
}

/**
 * Whether a request that landed on a destination's workload counts as reaching it: an answer of the
 * app always; a 403 its sidecar gave instead (`deniedBy`) only when the config foresees it as the
 * probe's own refusal (`request`: the client's other requests are admitted) or as a promised one.
 * A refusal of every request of the client (`identity`), or one the config did not foresee, means
 * the app was never reached.
 */
export function reachedApp(s: Sent, refusal: Refusal | null | undefined): boolean {
  return s.deniedBy === undefined || (refusal?.kind === 'request' || refusal?.kind === 'promised');
}

/** Why requests refused at the promised destination (`landed`) broke a routing promise, or '' when none did. */
export function refusalNote(sent: readonly Sent[], refusal: Refusal | null | undefined, landed: (s: Sent) => boolean): string {
  const denied = sent.filter((s) => s.deniedBy !== undefined && landed(s));
  if (denied.length === 0 || denied.every((s) => reachedApp(s, refusal))) return '';
  if (refusal) return `: ${refusal.message}`;
  const at = [...new Set(denied.map((s) => s.workload))].join(', ');
  return `: the route reaches ${at}, but its sidecar answered 403 RBAC: access denied instead of the app, which the config judgement did not foresee (a when or ipBlocks condition, or a CUSTOM authorizer, only a running proxy decides); see that workload's AuthorizationPolicies`;
}

/**
 * Whether a request answered by `s` reached `d`: the answering workload is one the host's Services
 * select (when `hostWorkloads` knows the host; else its namespace is the host's), and it carries the
 * promised version label when one is given.
 */
export function lands(s: Sent, d: DestinationSpec, hostWorkloads?: HostWorkloads): boolean {
  if (s.workload === '') return false;
  const selected = hostWorkloads?.(d.host);
  if (selected !== undefined) {
    if (!selected.has(s.workload)) return false;
  } else {
    const [ns] = s.workload.split('/');
    const hostNs = /^[^.]+\.([^.]+)\.svc\./.exec(d.host)?.[1];
    if (hostNs !== undefined && ns !== hostNs) return false;
  }
  return d.labels?.version === undefined || s.version === d.labels.version;
}

/** A 403 no echo backend sent: the destination's inbound sidecar refused the request (RBAC). */
export const refused = (s: Sent): boolean => s.status === 403 && s.workload === '' && s.deniedBy === undefined;

export const refusedDetail = (r: RequestSpec, n: number): TrafficVerdict => ({
  status: 'not-run', requests: n,
  detail: `the destination's inbound sidecar answered ${r.method} ${r.path} 403 (its AuthorizationPolicies admit no mesh identity for it), so no backend could fail, stall or be copied; judged on the config`,
});

/** `stopped after 700 of at most 1743 requests (look 4 of 10, inside the tolerance)`. */
function stopped(j: SequentialJudgement): string {
  const s = j.sequential;
  const why = s.decidedBy === 'held-early' ? 'inside the tolerance' : s.decidedBy === 'broken' ? 'the promise excluded' : 'last look';
  return `stopped after ${j.trials} of at most ${s.maxTrials} requests (look ${s.look} of ${s.looks}, ${why})`;
}

const plan = (shares: readonly number[], env: Pick<ShareEnv, 'confidence' | 'tolerance'>) => new SequentialPlan(shares, { confidence: env.confidence, tolerance: env.tolerance });

/**
 * The requests of `sent` the route's partial fault abort answered: `a.status` from the proxy (no
 * backend), with flag FI in the caller's access log when it is read; and the flags read.
 */
export async function abortedOf(sent: readonly Sent[], a: AbortedShare, flagsOf: ShareEnv['flagsOf']): Promise<{ ids: Set<string>; flags?: ReadonlyMap<string, readonly string[]> }> {
  const candidates = sent.filter((s) => s.status === a.status && s.workload === '' && !s.error);
  const flags = flagsOf && candidates.length > 0 ? await flagsOf(candidates) : undefined;
  const ids = new Set(candidates.filter((s) => !flagsOf || (flags?.get(s.requestId) ?? []).includes('FI')).map((s) => s.requestId));
  return { ids, ...(flags ? { flags } : {}) };
}

/** `; aborted 503 (FI): 41.2 % of 34 (expected 40.0 %; …)`: the aborted share of every request sent, judged against the fault's percentage. */
export function abortedShare(a: AbortedShare, aborted: number, sent: number, confidence: number): { holds: boolean; detail: string } {
  if (sent === 0) return { holds: false, detail: `; aborted ${a.status} (FI): no request sent` };
  const j = judgeShare(aborted, sent, a.percent / 100, confidence);
  return { holds: j.holds, detail: `; aborted ${a.status} (FI): ${formatShare(j)}` };
}

/** A weighted split: each destination's share of plain requests (with `aborted`, of those the fault does not abort). */
export async function judgeSplit(o: Of<'split'>, env: ShareEnv): Promise<TrafficVerdict> {
  const attribute = env.attribute ?? (async (s: Sent[]) => s);
  const a = o.aborted;
  let sentAll = 0;
  let abortedAll = 0;
  const spare: Sent[] = [];
  const sample = async (n: number): Promise<Sent[]> => {
    if (!a) return attribute(await env.many(n));
    // Requests the fault aborts are left out of the split; enough are sent that n are routed.
    const out = spare.splice(0, n);
    const keep = Math.max(0.05, 1 - a.percent / 100);
    while (out.length < n && sentAll < 20 * n / keep) {
      const batch = await attribute(await env.many(Math.ceil((n - out.length) / keep)));
      const { ids } = await abortedOf(batch, a, env.flagsOf);
      sentAll += batch.length;
      abortedAll += ids.size;
      const routed = batch.filter((s) => !ids.has(s.requestId));
      out.push(...routed.splice(0, n - out.length));
      spare.push(...routed);
    }
    return out;
  };
  const { judgements, samples } = await runSequential(plan(o.shares.map((s) => s.percent / 100), env),
    sample, (sent) => o.shares.map((s) => lands(sent, s.destination, env.hostWorkloads) && reachedApp(sent, env.refusal)));
  const share = a ? abortedShare(a, abortedAll, sentAll, env.confidence) : undefined;
  const detail = o.shares.map((s, i) => `${s.destination.labels?.version ?? s.destination.host}: ${formatShare(judgements[i]!)}`).join('; ');
  return {
    status: judgements.every((j) => j.holds) && (share?.holds ?? true) ? 'held' : 'broken',
    detail: `${detail}; ${stopped(judgements[0]!)}${share ? `${share.detail}, left out of the split` : ''}${refusalNote(samples, env.refusal, (x) => o.shares.some((sh) => lands(x, sh.destination, env.hostWorkloads)))}`,
    requests: a ? sentAll : samples.length,
  };
}

/** `FI×12, -×28`: how many requests carried each flag set (`-` none). */
function flagSummary(sent: readonly Sent[], flags: ReadonlyMap<string, readonly string[]>): string {
  const counts = new Map<string, number>();
  for (const s of sent) {
    const k = (flags.get(s.requestId) ?? []).join(',') || '-';
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${k}×${v}`).join(', ');
}

/** A fault abort: the share of requests the proxy answers with the status (and, with the access log, flag FI). */
export async function judgeAbort(o: Of<'abort'>, env: ShareEnv): Promise<TrafficVerdict> {
  const flagsOf = env.flagsOf;
  const flags = new Map<string, readonly string[]>();
  const { judgements: [j], samples } = await runSequential(plan([o.percent / 100], env), async (n) => {
    const sent = await env.many(n);
    if (flagsOf) for (const [id, f] of await flagsOf(sent)) flags.set(id, f);
    return sent;
  }, (s) => [s.status === o.status && s.workload === '' && (!flagsOf || (flags.get(s.requestId) ?? []).includes('FI'))]);
  return {
    status: j!.holds ? 'held' : 'broken',
    detail: `answered ${o.status}${flagsOf ? ' with flag FI' : ''} by the proxy: ${formatShare(j!)}; ${stopped(j!)}${flagsOf ? `; response flags ${flagSummary(samples, flags)}` : ''}`,
    requests: samples.length,
  };
}

/**
 * Requests a delay proof keeps in flight: a fault delay holds each request in the caller's sidecar
 * before any upstream connection, so they do not count against the destination's circuit breakers.
 * As many as the sender keeps sockets to one caller (`send.ts`).
 */
const DELAY_CONCURRENCY = 16;

/** Most time the requests of a delay proof may wait in all, over `DELAY_CONCURRENCY` at once, ms. */
export const MAX_DELAY_WAIT_MS = 60_000;

/**
 * Why a delay of `delayMs` on `percent` % is not proven with traffic (its worst-case sample would
 * wait longer than `MAX_DELAY_WAIT_MS`), or undefined when it is.
 */
export function delayTooLong(o: Of<'delay'>, env: Pick<ShareEnv, 'confidence' | 'tolerance'>): string | undefined {
  const max = plan([o.percent / 100], env).maxTrials;
  const waitMs = (max * (o.percent / 100) * o.delayMs) / DELAY_CONCURRENCY;
  if (waitMs <= MAX_DELAY_WAIT_MS) return undefined;
  return `a ${o.delayMs} ms delay on ${o.percent} % of requests needs up to ${max} requests (tolerance ${env.tolerance}), about ${Math.round(waitMs / 1000)} s of waiting, more than a proof spends (${MAX_DELAY_WAIT_MS / 1000} s); a larger --tolerance sends fewer`;
}

/**
 * A fault delay: the share of requests answered at least `delayMs` after they were sent, measured
 * at the caller, and (with the access log) carrying flag DI; judged against the fault's percentage
 * with the same sequential exact binomial test as an abort. A request slow for another reason (a
 * loaded machine) does not count without DI; one the fault delayed counts whatever the answer was
 * (a 503 UO of the destination's circuit breakers, which these concurrent requests may trip).
 */
export async function judgeDelay(o: Of<'delay'>, env: ShareEnv): Promise<TrafficVerdict> {
  const flagsOf = env.flagsOf;
  const flags = new Map<string, readonly string[]>();
  // Timers may fire a millisecond early against performance.now(); the delay itself is whole milliseconds.
  const late = (s: Sent) => s.elapsedMs >= o.delayMs - 1;
  const delayed = (s: Sent) => late(s) && (!flagsOf || (flags.get(s.requestId) ?? []).includes('DI'));
  const { judgements: [j], samples } = await runSequential(plan([o.percent / 100], env), async (n) => {
    const sent = await env.many(n, undefined, DELAY_CONCURRENCY);
    if (flagsOf) for (const [id, f] of await flagsOf(sent)) flags.set(id, f);
    return sent;
  }, (s) => [delayed(s)]);
  const ms = (xs: readonly Sent[]) => xs.map((s) => Math.round(s.elapsedMs)).sort((a, b) => a - b);
  const slow = ms(samples.filter(delayed));
  const fast = ms(samples.filter((s) => !delayed(s)));
  const times = [
    slow.length > 0 ? `delayed ones answered after ${slow[0]}–${slow[slow.length - 1]} ms` : '',
    fast.length > 0 ? `the others after ${fast[0]}–${fast[fast.length - 1]} ms` : '',
  ].filter((t) => t !== '').join(', ');
  return {
    status: j!.holds ? 'held' : 'broken',
    detail: `answered at least ${o.delayMs} ms late${flagsOf ? ' with flag DI' : ''} at the caller: ${formatShare(j!)}; ${stopped(j!)}; ${times}`,
    requests: samples.length,
  };
}

/**
 * Polls `count` until it reaches `all` or stops growing for a quiet window (copies still in flight),
 * at most `maxMs`. A mirrored share never reaches `all`, so every batch waits for the window: 250 ms,
 * or twice the latest a copy has yet arrived after its batch (`seen`, kept across a promise's
 * batches), up to 2 s. A fixed 250 ms let a loaded machine's late copies go uncounted (15.5 % seen
 * for a true 25 % mirror), while an idle machine's copies land within milliseconds.
 */
async function settle(count: () => number, all: number, seen: { lateMs: number }, maxMs = 4000): Promise<void> {
  const start = performance.now();
  let last = count();
  let quietSince = start;
  const quietMs = () => Math.min(2000, Math.max(250, 2 * seen.lateMs));
  while (last < all && performance.now() - start < maxMs && performance.now() - quietSince < quietMs()) {
    await new Promise((r) => setTimeout(r, 20));
    const now = count();
    if (now !== last) {
      last = now;
      quietSince = performance.now();
      seen.lateMs = Math.max(seen.lateMs, quietSince - start);
    }
  }
}

/** A mirror: the share of requests whose copy (Host `-shadow`) reached the mirror destination. */
export async function judgeMirror(o: Of<'mirror'>, request: RequestSpec, env: ShareEnv): Promise<TrafficVerdict> {
  const copied = (id: string) => env.backends.some((b) => (b.shadows.get(id) ?? 0) > 0 && (o.destination.labels?.version === undefined || b.identity.labels.version === o.destination.labels.version));
  const ids: string[] = [];
  const seen = { lateMs: 0 };
  let allRefused = true;
  const { judgements: [j], samples } = await runSequential(plan([o.percent / 100], env), async (n) => {
    const batch = Array.from({ length: n }, () => randomUUID());
    const sent = await env.many(n, (i) => ({ 'x-meshproof-request': batch[i]! }));
    allRefused &&= sent.every(refused);
    ids.push(...batch);
    // Copies are fire-and-forget: wait until they stop arriving before counting this batch.
    await settle(() => batch.filter(copied).length, n, seen);
    return batch;
  }, (id) => [copied(id)]);
  if (allRefused) return refusedDetail(request, samples.length);
  return { status: j!.holds ? 'held' : 'broken', detail: `copies (-shadow) at ${o.destination.labels?.version ?? o.destination.host}: ${formatShare(j!)}; ${stopped(j!)}`, requests: samples.length };
}
