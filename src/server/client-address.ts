/**
 * Who is asking, for rate limits and quotas only. The client is its network address: the TCP
 * peer by default, or — only when the operator says a reverse proxy sits in front
 * (`trustProxy`) — the last `X-Forwarded-For` entry, the one that proxy appended (the entries
 * before it are whatever the client wrote). An IPv6 client is its /64 (one subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would give each attacker 2⁶⁴ quotas).
 * The address itself is kept nowhere: callers get a keyed hash (HMAC-SHA256 with a key drawn at
 * start-up that never leaves the process), held in memory only, never written to disk or logs.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

/** Options: whether to read the client address from X-Forwarded-For (a reverse proxy in front). */
export interface ClientKeyOptions {
  readonly trustProxy?: boolean;
  /** HMAC key; default 32 random bytes (tests pass a fixed one). */
  readonly secret?: Uint8Array;
}

/** Returns a client's key from a request, or null for an in-process request (no socket). */
export type ClientKey = (c: Context) => string | null;

/** The network address of the request's client, or null when there is no socket (in process). */
export function clientAddress(c: Context, trustProxy: boolean): string | null {
  const env = c.env as { incoming?: { socket?: object } } | undefined;
  if (env?.incoming?.socket === undefined) return null;
  if (trustProxy) {
    const entries = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const last = entries.at(-1);
    if (last !== undefined) return last;
  }
  // A socket that already closed has no address: all of those share one key.
  return getConnInfo(c).remote.address ?? 'unknown';
}

/** The unit a quota counts: an IPv4 address, or the /64 of an IPv6 one (IPv4-mapped → IPv4). */
export function addressGroup(address: string): string {
  if (!ipaddr.isValid(address)) return `other:${address.slice(0, 64)}`;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') return ip.toString();
  const bytes = ip.toByteArray().slice(0, 8);
  return `${ipaddr.fromByteArray([...bytes, 0, 0, 0, 0, 0, 0, 0, 0]).toString()}/64`;
}

/** Creates the client-key function: a keyed hash of the client's address group. */
export function clientKeys(options: ClientKeyOptions = {}): ClientKey {
  const secret = options.secret ?? randomBytes(32);
  const trustProxy = options.trustProxy ?? false;
  return function clientKey(c) {
    const address = clientAddress(c, trustProxy);
    if (address === null) return null;
    return createHmac('sha256', secret)
      .update(addressGroup(address))
      .digest('base64url')
      .slice(0, 22);
  };
}
