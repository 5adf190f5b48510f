/**
 * The workload file of the embedded runtime: the pods (or VMs) that back the mesh's services,
 * `{"workloads":[{"name","namespace","address","labels":{…},"ports":{"<name>":<number>},"hostNetwork":true}]}`
 * (`hostNetwork` optional: entries so marked may share an address, on distinct port numbers).
 */
import { isIP } from 'node:net';
import { closest } from '../../did-you-mean.js';
import { firstDuplicateKey, lineColumn } from '../../json-duplicate-key.js';

/** One workload instance: an IP and its labels, like a pod. */
export interface WorkloadInstance {
  readonly name: string;
  readonly namespace: string;
  /** IPv4 or IPv6 literal (grpc-js-xds refuses host names in EDS). */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Container ports by name; a Service port whose `targetPort` names one of them uses it. @default {} */
  readonly ports: Readonly<Record<string, number>>;
  /**
   * A pod on its node's network (`spec.hostNetwork: true`): its address is the node's, shared with
   * the node's other such pods, which istiod tells apart by port. Present only when true.
   * @default absent (a pod of the pod network, whose address is its own)
   */
  readonly hostNetwork?: true;
}

/** A workload file that cannot be used; `where` is a JSON path such as `workloads[2].address`. */
export class WorkloadFileError extends Error {
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'WorkloadFileError';
  }
}

/**
 * Parses and validates a workload file's text (`file` names it in errors). Throws
 * {@link WorkloadFileError} naming the entry and field, the bad value and what is valid.
 */
export function parseWorkloadFile(text: string, file = 'workloads.json'): WorkloadInstance[] {
  // A leading byte-order mark is dropped, as `check` drops it from YAML and JSON manifests.
  if (text.startsWith('\ufeff')) text = text.slice(1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const bom = text.indexOf('\ufeff');
    if (bom >= 0) {
      const { line, column } = lineColumn(text, bom);
      throw new WorkloadFileError(file, `not valid JSON: a byte-order mark (U+FEFF, bytes EF BB BF) at line ${line}, column ${column}; one is allowed only at the very start of the file (files concatenated?); remove it`);
    }
    throw new WorkloadFileError(file, `not valid JSON (${(e as Error).message}); expected {"workloads":[{"name","namespace","address","labels","ports"}]}`);
  }
  const repeated = firstDuplicateKey(text);
  if (repeated) {
    const at = lineColumn(text, repeated.offset);
    throw new WorkloadFileError(`${file}: ${repeated.path}`, `key "${repeated.key}" given twice in one object (line ${at.line}, column ${at.column}; first at line ${lineColumn(text, repeated.firstOffset).line}): JSON readers keep only the last silently; write it once${repeated.path === 'workloads' ? ' (merge the two lists into one)' : ''}`);
  }
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) knownKeys(doc as Record<string, unknown>, `${file}: `, FILE_KEYS);
  const list = (doc as { workloads?: unknown } | null)?.workloads;
  if (!Array.isArray(list)) throw new WorkloadFileError(`${file}: workloads`, 'missing or not an array; expected {"workloads":[…]}');
  const workloads = list.map((w, i) => parseWorkload(w, `${file}: workloads[${i}]`));
  // One entry per pod address, as the Kubernetes source keys them: a repeat would be a second endpoint
  // of the same pod, doubling its share of every split. Two pods of the pod network never share an IP
  // either, so another entry at that address is refused too. Pods on the host network do share their
  // node's IP, and are told apart by port: entries marked `hostNetwork` may share an address when no
  // port number is listed by two of them. (One name at several addresses is a dual-stack pod.)
  const at = new Map<string, number[]>();
  workloads.forEach((w, i) => {
    const key = canonicalIp(w.address);
    const before = at.get(key);
    if (before === undefined) {
      at.set(key, [i]);
      return;
    }
    for (const j of before) sharedAddress(workloads, j, i, file);
    before.push(i);
  });
  return workloads;
}

/** Throws unless entry `j` and the later entry `i`, at one address, are hostNetwork pods on distinct ports. */
function sharedAddress(workloads: readonly WorkloadInstance[], j: number, i: number, file: string): void {
  const o = workloads[j]!;
  const w = workloads[i]!;
  if (o.namespace === w.namespace && o.name === w.name) throw new WorkloadFileError(`${file}: workloads[${i}]`, `repeats workloads[${j}] (${w.namespace}/${w.name} at ${w.address}); list each pod address once, or give a second pod its own name`);
  if (!o.hostNetwork || !w.hostNetwork) {
    const hint = o.hostNetwork || w.hostNetwork
      ? `; workloads[${o.hostNetwork ? j : i}] is marked "hostNetwork": true, so if both run on the node's network mark the other too`
      : '; if both are pods on one node\'s network (spec.hostNetwork: true, the address being the node\'s), mark each "hostNetwork": true';
    throw new WorkloadFileError(`${file}: workloads[${i}]`, `${w.namespace}/${w.name} has the address ${w.address} of workloads[${j}] (${o.namespace}/${o.name}): two pods cannot share an IP, and a Service selecting both would list that endpoint twice, doubling its share of every split; give each entry its pod's own address${hint}`);
  }
  const taken = new Map(Object.entries(o.ports).map(([name, n]) => [n, name]));
  for (const [name, n] of Object.entries(w.ports)) {
    const other = taken.get(n);
    if (other === undefined) continue;
    throw new WorkloadFileError(`${file}: workloads[${i}].ports.${name}`, `is ${n}, which workloads[${j}] (${o.namespace}/${o.name}, ports.${other}) also listens on at ${w.address}: hostNetwork pods share their node's address and are told apart by port, and two cannot listen on one port of one node; give each its own port, or the second pod its own node's address`);
  }
}

/** An address as one spelling: IPv6 compressed and lower-case (`FD00:0::1` is `fd00::1`). */
function canonicalIp(address: string): string {
  if (isIP(address) !== 6) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** Addresses no pod has: the unspecified ones (listen on any address) and the IPv4 broadcast. */
const NOT_A_POD_ADDRESS: Readonly<Record<string, string>> = {
  '0.0.0.0': 'the unspecified IPv4 address (it means "any address")',
  '::': 'the unspecified IPv6 address (it means "any address")',
  '255.255.255.255': 'the IPv4 broadcast address',
};

function parseWorkload(w: unknown, at: string): WorkloadInstance {
  if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new WorkloadFileError(at, `is ${JSON.stringify(w)}; expected an object with name, namespace, address, labels, ports`);
  const o = w as Record<string, unknown>;
  knownKeys(o, `${at}.`, WORKLOAD_KEYS);
  for (const f of ['name', 'namespace', 'address'] as const) {
    if (typeof o[f] !== 'string' || o[f] === '') throw new WorkloadFileError(`${at}.${f}`, `is ${JSON.stringify(o[f])}; expected a non-empty string`);
  }
  if (isIP(o.address as string) === 0) throw new WorkloadFileError(`${at}.address`, `"${String(o.address)}" is not an IP address; endpoints must be IPs (Envoy EDS, grpc-js-xds), e.g. "10.0.0.7"`);
  const special = NOT_A_POD_ADDRESS[canonicalIp(o.address as string)];
  if (special) throw new WorkloadFileError(`${at}.address`, `"${String(o.address)}" is ${special}, which no pod has; give the pod's own IP, e.g. "10.0.0.7"`);
  const labels = stringMap(o.labels ?? {}, `${at}.labels`, (v) => typeof v === 'string', 'a string');
  const ports = stringMap(o.ports ?? {}, `${at}.ports`, (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535, 'a port number 1..65535');
  if (o.hostNetwork !== undefined && typeof o.hostNetwork !== 'boolean') throw new WorkloadFileError(`${at}.hostNetwork`, `is ${JSON.stringify(o.hostNetwork)}; expected true (a pod on its node's network, sharing the node's address) or false`);
  return { name: o.name as string, namespace: o.namespace as string, address: o.address as string, labels, ports, ...(o.hostNetwork === true ? { hostNetwork: true } : {}) } as WorkloadInstance;
}

const FILE_KEYS = ['workloads'] as const;
const WORKLOAD_KEYS = ['name', 'namespace', 'address', 'labels', 'ports', 'hostNetwork'] as const;

/** An unknown key (a typo such as `adress`) is an error naming the nearest known key, never ignored. */
function knownKeys(o: Record<string, unknown>, at: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (keys.includes(k)) continue;
    const near = closest(k, keys);
    throw new WorkloadFileError(`${at}${k}`, `is not a known key${near ? ` (did you mean "${near}"?)` : ''}; expected ${keys.join(', ')}`);
  }
}

function stringMap<T>(v: unknown, at: string, ok: (x: unknown) => boolean, what: string): Record<string, T> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WorkloadFileError(at, `is ${JSON.stringify(v)}; expected an object`);
  for (const [k, x] of Object.entries(v)) if (!ok(x)) throw new WorkloadFileError(`${at}.${k}`, `is ${JSON.stringify(x)}; expected ${what}`);
  return v as Record<string, T>;
}
