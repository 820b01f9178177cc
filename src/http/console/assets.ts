// The console's static files (console/assets/ at the package root: CSS, JS, icons), served under
// /console/assets/<name>. Only names present in that folder at start-up are served (a name is one
// path segment, so nothing outside it can be reached). Each file is read and compressed (brotli,
// gzip) once, at its first request, and kept in memory; pages link it as `?v=<hash>`, which lets a
// browser keep it for a year: a changed file has another hash.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9]+)+$/;

interface Asset {
  type: string;
  etag: string;
  version: string;
  raw: Buffer;
  br: Buffer;
  gzip: Buffer;
}

/** console/assets, found upwards from this file (src/http/console in the checkout, dist/http/console when built). */
function assetsDir(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'console', 'assets');
    if (fs.existsSync(path.join(candidate, 'console.css'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('console/assets not found above ' + import.meta.dirname);
}

export class ConsoleAssets {
  private readonly dir = assetsDir();
  private readonly names = new Set(fs.readdirSync(this.dir).filter((n) => NAME.test(n) && TYPES[path.extname(n)] !== undefined));
  private readonly loaded = new Map<string, Asset>();

  /** The asset, read and compressed on first use; undefined for a name not in the folder. */
  get(name: string): Asset | undefined {
    if (!this.names.has(name)) return undefined;
    let a = this.loaded.get(name);
    if (!a) {
      const raw = fs.readFileSync(path.join(this.dir, name));
      const version = crypto.createHash('sha256').update(raw).digest('base64url').slice(0, 16);
      a = {
        type: TYPES[path.extname(name)],
        etag: `"${version}"`,
        version,
        raw,
        br: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
        gzip: zlib.gzipSync(raw, { level: 9 }),
      };
      this.loaded.set(name, a);
    }
    return a;
  }

  /** The URL a page links: with the content's hash, so it can be cached for good. */
  url(name: string): string {
    const a = this.get(name);
    if (!a) throw new Error(`no console asset ${name}`);
    return `/console/assets/${name}?v=${a.version}`;
  }

  send(request: FastifyRequest, reply: FastifyReply, name: string) {
    const a = this.get(name);
    if (!a) return undefined;
    const v = (request.query as Record<string, unknown>).v;
    reply
      .header('content-type', a.type)
      .header('etag', a.etag)
      .header('vary', 'accept-encoding')
      // The versioned URL pages link never changes content; an unversioned one is checked each time.
      .header('cache-control', v === a.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
    const accept = String(request.headers['accept-encoding'] ?? '');
    if (/\bbr\b/.test(accept)) return reply.header('content-encoding', 'br').send(a.br);
    if (/\bgzip\b/.test(accept)) return reply.header('content-encoding', 'gzip').send(a.gzip);
    return reply.send(a.raw);
  }
}

export function assetRoutes(app: FastifyInstance, assets: ConsoleAssets): void {
  app.get<{ Params: { name: string } }>('/assets/:name', (request, reply) => {
    const sent = assets.send(request, reply, request.params.name);
    if (sent === undefined) return reply.callNotFound();
    return sent;
  });
}

let shared: ConsoleAssets | undefined;
/** The one ConsoleAssets of the process (the folder is read once). */
export const consoleAssets = (): ConsoleAssets => (shared ??= new ConsoleAssets());
