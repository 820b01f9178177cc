// The client's address, for throttling. The TCP peer, unless the peer is a trusted proxy: then the
// nearest address in X-Forwarded-For that is not itself a trusted proxy (proxies append, so
// entries left of it are the client's own claims). IPv6 clients are keyed by their /64, which one
// host usually holds whole.
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { TrustedProxyMatcher } from '../identity/proxy-cert.js';

export function clientAddress(remoteAddress: string | undefined, headers: IncomingHttpHeaders, trusted?: TrustedProxyMatcher): string | undefined {
  let addr = remoteAddress;
  if (trusted && trusted(addr)) {
    const xff = headers['x-forwarded-for'];
    const hops = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!isIP(hops[i])) break;
      addr = hops[i];
      if (!trusted(addr)) break;
    }
  }
  return addr === undefined ? undefined : addressKey(addr);
}

/** IPv4 as is (also when IPv4-mapped), IPv6 as its /64 prefix. */
export function addressKey(addr: string): string {
  const a = addr.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return mapped[1];
  if (isIP(a) !== 6) return a;
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
