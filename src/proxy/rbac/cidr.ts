/**
 * `envoy.config.core.v3.CidrRange` containment, shared by RBAC IP matchers and filter chain
 * selection. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, what a dual-stack Node socket reports)
 * count as their IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { CidrRange } from '../../xds/gen/envoy/config/core/v3/address_pb.js';

/** An address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpBits {
  readonly v6: boolean;
  readonly value: bigint;
}

/** Parses an IPv4 or IPv6 literal; `undefined` for anything else (a host name, a Unix socket path). */
export function parseIp(address: string | undefined): IpBits | undefined {
  if (!address) return undefined;
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return parseIp(mapped[1]);
  if (isIPv4(a)) return { v6: false, value: a.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(a)) return undefined;
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const groups = (s: string | undefined): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const o = part.split('.').map(Number) as [number, number, number, number];
        out.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
      } else out.push(parseInt(part, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return { v6: true, value: all.reduce((n, g) => (n << 16n) | BigInt(g), 0n) };
}

/** A parsed CidrRange; `prefixLen` clamped to the family's width, as Envoy does. */
export interface Cidr {
  readonly ip: IpBits;
  readonly prefixLen: number;
}

/**
 * Parses `CidrRange{address_prefix, prefix_len}`. Returns an error string naming the bad prefix
 * when `address_prefix` is not an IP literal (Envoy refuses such config).
 */
export function parseCidr(r: CidrRange): Cidr | string {
  const ip = parseIp(r.addressPrefix);
  if (!ip) return `address_prefix ${JSON.stringify(r.addressPrefix)} is not an IPv4 or IPv6 address`;
  const width = ip.v6 ? 128 : 32;
  return { ip, prefixLen: Math.min(r.prefixLen ?? 0, width) };
}

/** Whether `ip` lies in `cidr` (different families never match). */
export function inCidr(cidr: Cidr, ip: IpBits | undefined): boolean {
  if (!ip || ip.v6 !== cidr.ip.v6) return false;
  const width = ip.v6 ? 128n : 32n;
  const shift = width - BigInt(cidr.prefixLen);
  return (ip.value >> shift) === (cidr.ip.value >> shift);
}

/** Whether the address string lies in the CidrRange; an invalid range or address matches nothing. */
export function addressInRange(r: CidrRange, address: string | undefined): boolean {
  const c = parseCidr(r);
  return typeof c !== 'string' && inCidr(c, parseIp(address));
}

/** Whether an address is a loopback address (127.0.0.0/8, ::1). */
export function isLoopback(address: string | undefined): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  return ip.v6 ? ip.value === 1n : (ip.value >> 24n) === 127n;
}
