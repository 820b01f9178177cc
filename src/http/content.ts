// App package downloads on the device listener (issue #15): GET|HEAD /content/:sha256?e=…&s=…
// Windows downloads MSI and MSIX packages outside the OMA-DM session and without the MDM client
// certificate (the listener asks for one, never requires it): the signed, expiring URL
// (service/apps/content-url.ts) is the authorization. Windows resumes interrupted downloads, so:
// exact Content-Length, Accept-Ranges, a strong ETag (the hash: content never changes under
// it), single ranges (`a-b`, `a-`, `-n`) answered 206, unsatisfiable 416, If-Range and
// If-None-Match. Several ranges in one request are answered with the whole body, 200 (RFC 9110
// 14.2 lets a server ignore Range; no client of ours asks for multipart/byteranges). Bytes are
// streamed from the store with back-pressure; a client that goes away stops the read, or leaves
// the line of reads waiting for the database (PostgreSQL: store/postgres/read-queue.ts).
// Order of refusals: 400 malformed hash, 403 bad or expired signature (before anything is looked
// up, so an unsigned request learns nothing), 404 unknown content.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContentUrlSigner } from '../service/apps/content-url.js';
import type { ContentRange, Store } from '../store/types.js';

const SHA256 = /^[0-9a-f]{64}$/;

export interface ContentRouteOptions {
  store: Store;
  signer: ContentUrlSigner;
  now?: () => number;
  /** A download whose client takes no bytes for this long is cut; default 120 s. */
  stallMs?: number;
}

/** The Range header as one byte range of a blob of `size` bytes: the range, 'unsatisfiable', or undefined (absent, malformed or several: the whole body). */
export function parseRange(header: string | undefined, size: number): ContentRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const specs = m[1].split(',').map((s) => s.trim());
  if (specs.length !== 1) return undefined;
  const r = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (!r || (r[1] === '' && r[2] === '')) return undefined;
  if (r[1] === '') {
    const n = Number(r[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const last = r[2] === '' ? Infinity : Number(r[2]);
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

/** Whether an If-None-Match list names this entity (weak comparison, RFC 9110 13.1.2). */
function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function plain(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(`${message}\n`);
}

export async function contentRoutes(app: FastifyInstance, opts: ContentRouteOptions): Promise<void> {
  const { store, signer } = opts;
  const now = opts.now ?? Date.now;
  const stallMs = opts.stallMs ?? 120_000;
  // Downloads under way when the server closes are cut (Windows resumes them with Range from
  // another replica or after the restart): a graceful close must not wait minutes for a package.
  const active = new Set<FastifyReply>();
  app.addHook('preClose', (done) => {
    for (const r of active) r.raw.destroy();
    done();
  });

  const handler = async (request: FastifyRequest<{ Params: { sha256: string } }>, reply: FastifyReply) => {
    const { sha256 } = request.params;
    reply.header('x-content-type-options', 'nosniff');
    if (!SHA256.test(sha256)) return plain(reply, 400, 'sha256: not a lower-case hex SHA-256');
    const q = request.url.indexOf('?');
    const refused = signer.verify(sha256, new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1)), now());
    if (refused) return plain(reply, 403, refused);
    const info = await store.content.stat(sha256);
    if (!info) return plain(reply, 404, 'no such content');

    const etag = `"${sha256}"`;
    const lastModified = new Date(info.createdAt).toUTCString();
    reply.header('etag', etag).header('last-modified', lastModified).header('accept-ranges', 'bytes').header('cache-control', 'private, no-transform');
    const inm = request.headers['if-none-match'];
    if (inm !== undefined && noneMatch(inm, etag)) return reply.code(304).send();

    let range: ContentRange | 'unsatisfiable' | undefined;
    if (request.method === 'GET') {
      // If-Range: the range only while the client's copy is this entity (strong ETag, or our Last-Modified).
      const ifRange = request.headers['if-range']?.toString().trim();
      const sameEntity = ifRange === undefined || ifRange === etag || ifRange === lastModified;
      if (sameEntity) range = parseRange(request.headers.range, info.size);
    }
    if (range === 'unsatisfiable') return reply.header('content-range', `bytes */${info.size}`).send(plainBody(reply, 416));
    reply.type('application/octet-stream');
    if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
    const length = range ? range.end - range.start + 1 : info.size;
    reply.header('content-length', String(length));
    if (request.method === 'HEAD' || length === 0) return reply.send();
    active.add(reply);
    // A client that goes away while its read waits for the database leaves the line at once
    // (the stream's own end reaches the read only once the query it waits for is done).
    const gone = new AbortController();
    // A client that stops taking bytes (a device gone off the network without a FIN, or a reader
    // holding the connection open on purpose) would keep its share of the read budget for ever:
    // with no bytes moving for stallMs the connection is cut, and Windows resumes with Range. The
    // socket's own inactivity timer is used; once the answer is done the server's keep-alive
    // timeout replaces it.
    const socket = reply.raw.socket;
    const stalled = () => {
      request.log.info({ sha256, stallMs }, 'package download stalled: connection cut');
      socket?.destroy();
    };
    socket?.setTimeout(stallMs, stalled);
    reply.raw.once('close', () => {
      socket?.off('timeout', stalled);
      active.delete(reply);
      gone.abort();
    });
    const body = store.content.read(sha256, range, { signal: gone.signal });
    return reply.send(Readable.from(body, { objectMode: false, highWaterMark: 64 * 1024 }));
  };

  app.route<{ Params: { sha256: string } }>({ method: ['GET', 'HEAD'], url: '/content/:sha256', handler });
}

function plainBody(reply: FastifyReply, status: number): string {
  reply.code(status).type('text/plain; charset=utf-8');
  return 'range not satisfiable\n';
}
