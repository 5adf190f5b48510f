/** Loopback gRPC backends that answer one unary method with their own name, and a client helper for it. */
import * as grpc from '@grpc/grpc-js';

export const WHO_PATH = '/meshproof.test.Who/Who';

export interface Backend { readonly name: string; readonly port: number; close(): Promise<void> }

const identity = (b: Buffer) => b;

/** A gRPC server on 127.0.0.1 (random port) whose `Who` method answers `name`. */
export async function startBackend(name: string): Promise<Backend> {
  const server = new grpc.Server();
  server.addService({
    Who: { path: WHO_PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  }, { Who: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { name, port, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

/** Calls `Who` on `client` and resolves with the backend's name. */
export function who(client: grpc.Client, headers: Record<string, string> = {}, deadlineMs = 5000): Promise<string> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(WHO_PATH, identity, (b: Buffer) => b.toString(), Buffer.alloc(0), md, { deadline: Date.now() + deadlineMs }, (err, value) => (err ? reject(err) : resolve(value!)));
  });
}

/** `n` calls, `parallel` at a time; counts answers by backend name. */
export async function tally(client: grpc.Client, n: number, headers: Record<string, string> = {}, parallel = 50): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let done = 0; done < n; done += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - done) }, () => who(client, headers)));
    for (const name of batch) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * Wilson score interval for `successes` of `n` at the two-sided confidence of `z`
 * (4.4172 for 99.999 %, the default: a right split falls outside once in 100,000 runs, where at
 * 99.9 % (3.2905) the suite failed about once per thousand runs of each such test on chance alone).
 * Returns [low, high] as proportions.
 */
export function wilson(successes: number, n: number, z = 4.4172): [number, number] {
  const p = successes / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [centre - half, centre + half];
}
