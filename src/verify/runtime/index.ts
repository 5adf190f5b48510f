/**
 * The traffic runtime of `meshproof verify`: our xDS server in-process, one `meshproof proxy` per
 * workload that needs one, an echo backend per workload version, each on its own loopback
 * address. It runs only when the reference proxy is present; until then it says why not, and
 * `verify` reports the static judgement alone (never invented traffic results).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TrafficRunner } from '../run.js';

/** Where the reference proxy's entry point must be for traffic to be sent. */
const PROXY_ENTRY = fileURLToPath(new URL('../../proxy/main.js', import.meta.url));

export function createRuntime(): TrafficRunner {
  return {
    unavailable: () => {
      const ts = PROXY_ENTRY.replace(/\.js$/, '.ts');
      if (!existsSync(PROXY_ENTRY) && !existsSync(ts)) return 'the reference proxy (src/proxy/main.ts, `meshproof proxy`) is not built yet; promises were judged against the config only';
      return 'sending traffic through `meshproof proxy` is not wired into verify yet; promises were judged against the config only';
    },
    run: async () => new Map(),
  };
}
