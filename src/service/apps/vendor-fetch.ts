// A public package hosted by its vendor, fetched once over HTTPS: redirects followed (HTTPS only,
// a few), an answer within a time limit, at most the content limit (a larger Content-Length is
// refused before reading), streamed as it arrives. node:https rather than fetch(): the same
// outbound path as service/entra/outbound.ts, where a test machine maps chosen hosts to local
// fakes and trusts their CA (FENESTRA_TEST_OUTBOUND, FENESTRA_TEST_OUTBOUND_CA), which fetch()
// cannot do without the undici package.
//
// The URL comes from an administrator, and the server fetches it: it must not become a way into
// the server's own network (SSRF — the cloud metadata service, a database, an admin port on
// loopback). Each hop's host name is resolved once, every address it has must be public (not
// loopback, private, link-local, unique-local, shared, multicast or otherwise reserved), and the
// connection goes to the address checked (no second lookup: a name cannot answer a public address
// to the check and a private one to the connection). Hosts named in FENESTRA_APP_PRIVATE_HOSTS
// (an intranet mirror) may have private addresses; hosts a test machine maps to its fakes are not
// resolved at all.
import dns from 'node:dns';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { OutboundOptions } from '../entra/outbound.js';
import { ApiError } from '../errors.js';

export interface VendorFetchOptions extends OutboundOptions {
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
  /** Host names (lower case) allowed to resolve to non-public addresses; '*': any (FENESTRA_APP_PRIVATE_HOSTS). */
  privateHosts?: readonly string[];
  /** Name resolution (tests: a name answering a chosen address); dns.promises.lookup by default. */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

/** Address blocks no public package is fetched from (RFC 6890 and successors), by what they are. */
const NON_PUBLIC: [label: string, cidrs: string[]][] = [
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['shared (carrier-grade NAT)', ['100.64.0.0/10']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['unique-local', ['fc00::/7']],
  ['site-local', ['fec0::/10']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  [
    'reserved',
    [
      '192.0.0.0/24',
      '192.0.2.0/24',
      '192.88.99.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
      '::/96',
      '64:ff9b:1::/48',
      '100::/64',
      '2001::/23',
      '2001:db8::/32',
      '2002::/16',
    ],
  ],
];
const BLOCKS = NON_PUBLIC.map(([label, cidrs]) => {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const [network, prefix] = c.split('/');
    list.addSubnet(network, Number(prefix), net.isIPv6(network) ? 'ipv6' : 'ipv4');
  }
  return { label, list };
});

/** What kind of non-public address this is ('loopback', 'private', …), or undefined for a public one. IPv4-mapped and NAT64 (64:ff9b::/96) IPv6 addresses are judged by their IPv4 address. */
export function nonPublicAddress(address: string): string | undefined {
  const family = net.isIP(address);
  if (family === 0) return 'unparsable';
  if (family === 6) {
    const nat64 = /^64:ff9b::(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/i.exec(address);
    if (nat64) {
      const v4 = nat64[3] ?? [parseInt(nat64[1], 16) >> 8, parseInt(nat64[1], 16) & 255, parseInt(nat64[2], 16) >> 8, parseInt(nat64[2], 16) & 255].join('.');
      return nonPublicAddress(v4);
    }
  }
  // BlockList judges an IPv4-mapped IPv6 address (::ffff:a.b.c.d) by the IPv4 rules.
  return BLOCKS.find((b) => b.list.check(address, family === 6 ? 'ipv6' : 'ipv4'))?.label;
}

export interface VendorDownload {
  body: IncomingMessage;
  /** Where the package came from after redirects. */
  finalUrl: string;
  /** The last path segment of the final URL (the package's file name: .msix or .appx tells the format). */
  fileName?: string;
}

const failed = (message: string) => new ApiError(422, 'download_failed', message, '/url');

/** The URL, or 400 at /url: https only, no user name or password in it. */
export function vendorUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ApiError(400, 'invalid', 'url is not an absolute URL', '/url');
  }
  if (u.protocol !== 'https:') throw new ApiError(400, 'invalid', `url must be https:// (not ${u.protocol}//): the package is fetched over TLS only`, '/url');
  if (u.username || u.password) throw new ApiError(400, 'invalid', 'url must not carry a user name or password', '/url');
  return u;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Where to connect for `u`: a test machine's fake, or an address of its host checked to be public (422 at /url when one is not). */
async function destination(u: URL, o: VendorFetchOptions): Promise<{ host: string; port: number }> {
  const mapped = o.hosts?.get(u.host.toLowerCase());
  if (mapped) return mapped;
  const port = u.port ? Number(u.port) : 443;
  const name = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  let addresses: { address: string }[];
  if (net.isIP(name)) addresses = [{ address: name }];
  else {
    try {
      addresses = await (o.lookup ?? ((h) => dns.promises.lookup(h, { all: true })))(name);
    } catch (err) {
      throw failed(`${u.hostname} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (addresses.length === 0) throw failed(`${u.hostname} has no address`);
  }
  const allowed = o.privateHosts?.includes('*') || o.privateHosts?.includes(name);
  if (!allowed) {
    for (const { address } of addresses) {
      const kind = nonPublicAddress(address);
      if (kind) {
        const named = address === name ? address : `${u.hostname} (${address})`;
        throw failed(
          `${named} is a ${kind} address: public packages are fetched from public addresses only (FENESTRA_APP_PRIVATE_HOSTS names hosts allowed otherwise)`,
        );
      }
    }
  }
  return { host: addresses[0].address, port };
}

async function get(u: URL, o: VendorFetchOptions): Promise<IncomingMessage> {
  const target = await destination(u, o);
  const timeout = o.timeoutMs ?? 30_000;
  const ipLiteral = net.isIP(u.hostname.replace(/^\[|\]$/g, '')) !== 0;
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        // The address checked above (no second lookup); the certificate is checked for the URL's host name.
        host: target.host,
        port: target.port,
        ...(ipLiteral ? {} : { servername: u.hostname }),
        path: u.pathname + u.search,
        headers: { host: u.host, accept: '*/*', 'user-agent': 'fenestra' },
        ...(o.ca ? { ca: o.ca } : {}),
        agent: false,
        timeout,
      },
      resolve,
    );
    // Also while the body streams: no byte for `timeout` ms ends the download.
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', (e) => reject(failed(`no answer from ${u.host}: ${e.message}`)));
  });
}

/** Opens the download: the response streaming its body, after redirects; 422 at /url when there is none to stream, 413 when it announces more than `limit`. */
export async function openVendorDownload(raw: string, limit: number, o: VendorFetchOptions = {}): Promise<VendorDownload> {
  let u = vendorUrl(raw);
  const max = o.maxRedirects ?? 5;
  for (let hops = 0; ; hops++) {
    const res = await get(u, o);
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && res.headers.location) {
      res.resume();
      if (hops >= max) throw failed(`more than ${max} redirects from ${raw}`);
      const next = new URL(res.headers.location, u);
      if (next.protocol !== 'https:') throw failed(`${u.host} redirected to a ${next.protocol}// URL: the package is fetched over TLS only`);
      u = next;
      continue;
    }
    if (status < 200 || status > 299) {
      res.resume();
      throw failed(`${u.host} answered HTTP ${status} for ${u.pathname}`);
    }
    const length = Number(res.headers['content-length']);
    if (Number.isFinite(length) && length > limit) {
      res.destroy();
      throw new ApiError(413, 'too_large', `the package is ${length} bytes, larger than the limit of ${limit} bytes`, '/url');
    }
    const segment = u.pathname.split('/').pop() ?? '';
    let last = segment;
    try {
      last = decodeURIComponent(segment);
    } catch {
      /* kept as sent */
    }
    return { body: res, finalUrl: u.toString(), fileName: last || undefined };
  }
}
