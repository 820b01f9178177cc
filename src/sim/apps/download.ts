// The simulated device's package download: one HTTPS GET streamed to a file, resumed where an
// earlier attempt stopped (`Range: bytes=N-` with `If-Range: <ETag>`, as BITS and Delivery
// Optimization do), never holding the package in memory. A fault can drop the connection after
// a number of bytes, as a network does.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';

export interface DownloadOptions {
  url: string;
  /** The partial or empty file the bytes go to. */
  file: string;
  /** Bytes of `file` already downloaded by an earlier attempt (0: from the start). */
  have: number;
  /** The ETag the earlier attempt was served: sent as If-Range with the Range. */
  etag?: string;
  /** Trust anchors (PEM) for the server certificate. */
  ca?: string | string[];
  /** Connect here instead of the URL's host (SNI and Host still name it). */
  connectTo?: { host: string; port: number };
  timeoutMs?: number;
  /** Drop the connection after this many body bytes of this attempt (a fault). */
  cutAfter?: number;
}

/** What one attempt did. */
export interface DownloadAttempt {
  /** HTTP status (0: no response). */
  status: number;
  /** The first byte asked for (the Range start; 0 without a Range). */
  requestedFrom: number;
  /** Content-Range of a 206, as served. */
  contentRange?: string;
  etag?: string;
  /** Body bytes received in this attempt. */
  received: number;
  /** Bytes of the file now. */
  have: number;
  /** Size of the whole package when the server said (Content-Length of a 200, Content-Range total). */
  total?: number;
  complete: boolean;
  /** Why it did not complete. */
  error?: string;
  /** The server answered with an HTTP error (not a dropped connection). */
  httpError?: boolean;
}

const RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

export async function downloadAttempt(o: DownloadOptions): Promise<DownloadAttempt> {
  const u = new URL(o.url);
  if (u.protocol !== 'https:') return { status: 0, requestedFrom: 0, received: 0, have: 0, complete: false, error: `not an https URL: ${o.url}` };
  const from = o.have > 0 ? o.have : 0;
  const headers: Record<string, string> = { host: u.host, 'user-agent': 'Microsoft BITS/7.8' };
  if (from > 0) {
    headers.range = `bytes=${from}-`;
    if (o.etag) headers['if-range'] = o.etag;
  }
  const out: DownloadAttempt = { status: 0, requestedFrom: from, received: 0, have: o.have, complete: false };
  let res: import('node:http').IncomingMessage;
  let req: import('node:http').ClientRequest;
  try {
    ({ req, res } = await new Promise<{ req: import('node:http').ClientRequest; res: import('node:http').IncomingMessage }>((resolve, reject) => {
      const r = https.request(
        {
          method: 'GET',
          host: o.connectTo?.host ?? u.hostname,
          port: o.connectTo?.port ?? (u.port ? Number(u.port) : 443),
          servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname,
          path: u.pathname + u.search,
          headers,
          ca: o.ca,
          agent: false,
          timeout: o.timeoutMs ?? 30_000,
        },
        (rs) => resolve({ req: r, res: rs }),
      );
      r.on('timeout', () => r.destroy(new Error('request timed out')));
      r.on('error', reject);
      r.end();
    }));
  } catch (err) {
    return { ...out, error: (err as Error).message };
  }
  out.status = res.statusCode ?? 0;
  out.etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
  let append: boolean;
  if (out.status === 206) {
    const cr = String(res.headers['content-range'] ?? '');
    out.contentRange = cr;
    const m = RANGE.exec(cr);
    if (!m || Number(m[1]) !== from) {
      res.destroy();
      return { ...out, error: `206 with Content-Range ${JSON.stringify(cr)} for bytes=${from}-`, httpError: true };
    }
    if (m[3] !== '*') out.total = Number(m[3]);
    append = true;
  } else if (out.status === 200) {
    // The whole package (no Range, or the ETag changed so If-Range asked for all of it).
    const len = Number(res.headers['content-length']);
    if (Number.isFinite(len)) out.total = len;
    append = false;
    out.have = 0;
  } else {
    res.resume();
    return { ...out, error: `HTTP ${out.status}`, httpError: true };
  }

  const file = fs.createWriteStream(o.file, { flags: append ? 'a' : 'w' });
  let received = 0;
  let cut = false;
  let lost: string | undefined;
  const limit = o.cutAfter;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      let c = chunk;
      if (limit !== undefined && received + c.length >= limit) {
        c = c.subarray(0, limit - received);
        cut = true;
      }
      received += c.length;
      if (c.length && !file.write(c)) await once(file, 'drain');
      if (cut) break;
    }
  } catch (err) {
    lost = (err as Error).message;
  } finally {
    // A cut: the network drops the connection, the rest of the body never arrives.
    if (cut) req.destroy();
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  if (lost !== undefined) {
    out.received = received;
    out.have = (append ? o.have : 0) + received;
    return { ...out, error: `connection lost: ${lost}` };
  }
  out.received = received;
  out.have = (append ? o.have : 0) + received;
  if (cut) return { ...out, error: `connection dropped after ${received} bytes` };
  if (out.total !== undefined && out.have !== out.total) return { ...out, error: `short body: ${out.have} of ${out.total} bytes` };
  out.complete = true;
  return out;
}

/** SHA-256 of a file, lower-case hex, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}
