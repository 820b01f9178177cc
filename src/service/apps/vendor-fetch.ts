// A public package hosted by its vendor, fetched once over HTTPS: redirects followed (HTTPS only,
// a few), an answer within a time limit, at most the content limit (a larger Content-Length is
// refused before reading), streamed as it arrives. node:https rather than fetch(): the same
// outbound path as service/entra/outbound.ts, where a test machine maps chosen hosts to local
// fakes and trusts their CA (FENESTRA_TEST_OUTBOUND, FENESTRA_TEST_OUTBOUND_CA), which fetch()
// cannot do without the undici package.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { OutboundOptions } from '../entra/outbound.js';
import { ApiError } from '../errors.js';

export interface VendorFetchOptions extends OutboundOptions {
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
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

function get(u: URL, o: VendorFetchOptions): Promise<IncomingMessage> {
  const target = o.hosts?.get(u.host.toLowerCase());
  const timeout = o.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: target?.host ?? u.hostname,
        port: target?.port ?? (u.port ? Number(u.port) : 443),
        servername: u.hostname,
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
