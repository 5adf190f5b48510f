/**
 * The in-cluster traffic smoke test (`meshproof runtime smoke --plan smoke-plan.json`). For each
 * proxy of the plan and each of its targets, plain `GET /` requests go to the proxy's Service on the
 * target's port with the target's `Host`:
 * - first, one request a second until one is answered as expected, for at most `waitMs` (the
 *   proxy's xDS config and the EndpointSlices of fresh echo pods take a moment to arrive);
 * - then `requests` more, one at a time. An echo target holds when every answer that came from an
 *   echo pod (`x-meshproof-workload`) names a workload the target allows and at least one did; answers
 *   without the header (an injected fault, a 503 while an endpoint is ejected) are counted and shown
 *   but do not fail it. A redirect target holds when every answer has the status and `Location`.
 */
import { request } from 'node:http';
import type { SmokePlan } from './runtime-chart.js';

export interface SmokeOptions {
  readonly requests: number;
  readonly waitMs: number;
  readonly timeoutMs?: number;
  readonly log: (line: string) => void;
}

interface Answer { status: number; workload?: string; location?: string; error?: string }

function get(service: string, port: number, host: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: service, port, path: '/', method: 'GET', headers: { host, 'x-meshproof-request': 'smoke' }, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        ...(typeof res.headers['x-meshproof-workload'] === 'string' ? { workload: res.headers['x-meshproof-workload'] } : {}),
        ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
      }));
      res.on('error', (e) => resolve({ status: 0, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, error: e.code ?? e.message }));
    req.end();
  });
}

type Target = SmokePlan['proxies'][number]['targets'][number];

/** Whether one answer is what the target expects; a reason otherwise. */
export function judgeAnswer(t: Target, a: Answer): { ok: boolean; echo: boolean; why?: string } {
  if (t.redirect) {
    const ok = a.status === t.redirect.status && a.location === t.redirect.location;
    return { ok, echo: false, ...(ok ? {} : { why: `${a.error ?? a.status}${a.location ? ` Location ${a.location}` : ''}, expected ${t.redirect.status} Location ${t.redirect.location}` }) };
  }
  if (a.workload === undefined) return { ok: true, echo: false };
  const ok = t.workloads.includes(a.workload);
  return { ok, echo: true, ...(ok ? {} : { why: `answered by ${a.workload}, which is not one of ${t.workloads.join(', ')}` }) };
}

/** Runs the plan; resolves to the number of failed targets (0: all held). */
export async function runSmoke(plan: SmokePlan, opts: SmokeOptions): Promise<number> {
  let failed = 0;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  for (const p of plan.proxies) {
    for (const s of p.skipped ?? []) opts.log(`- SKIPPED ${p.role} ${p.nodeId} → Host ${s.host}: ${s.reason}`);
    for (const t of p.targets) {
      const where = `${p.role} ${p.nodeId} → Host ${t.host} (${p.service}:${t.port})`;
      const deadline = Date.now() + opts.waitMs;
      let first: Answer;
      for (;;) {
        first = await get(p.service, t.port, t.host, timeoutMs);
        const j = judgeAnswer(t, first);
        if ((j.ok && (j.echo || t.redirect)) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const answers = [first];
      for (let i = 0; i < opts.requests; i++) answers.push(await get(p.service, t.port, t.host, timeoutMs));
      const judged = answers.map((a) => judgeAnswer(t, a));
      const wrong = judged.filter((j) => !j.ok);
      const echoes = judged.filter((j) => j.echo).length;
      const others = answers.filter((a, i) => !judged[i]!.echo && !t.redirect).map((a) => a.error ?? String(a.status));
      const ok = wrong.length === 0 && (t.redirect !== undefined || echoes > 0);
      if (!ok) failed++;
      const seen = [...new Set(answers.map((a) => a.workload).filter((w): w is string => w !== undefined))].sort();
      const summary = t.redirect
        ? `${answers.length - wrong.length}/${answers.length} answered ${t.redirect.status} → ${t.redirect.location}`
        : `${echoes}/${answers.length} answered by echo pods (${seen.join(', ') || 'none'}; allowed: ${t.workloads.join(', ')})${others.length > 0 ? `; without an echo answer: ${others.join(' ')}` : ''}`;
      opts.log(`${ok ? '✓ HELD  ' : '✗ BROKEN'} ${where}: ${summary}${wrong.length > 0 ? `; first wrong answer: ${wrong[0]!.why}` : ''}${!ok && echoes === 0 && !t.redirect ? `; no echo pod answered within ${Math.round(opts.waitMs / 1000)} s` : ''}`);
    }
  }
  return failed;
}
