// Microsoft Graph for a tenant, on its cloud's Graph host: GET, paged GET (following
// @odata.nextLink, handing back the @odata.deltaLink) and PATCH. Throttling (429) and
// unavailability (503, 504) are retried after Retry-After, else after a capped exponential
// back-off; other failures become GraphError with Graph's own code and message.
import type { Tenant } from '../../domain/tenant.js';
import { cloudEndpoints } from './clouds.js';
import { OutboundError, type Outbound, type OutboundResponse } from './outbound.js';

export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterMs?: number;
  constructor(
    status: number,
    /** Graph's error code (e.g. "Authorization_RequestDenied"), or ours for no answer. */
    code: string,
    message: string,
    /** The answer's Retry-After, in ms, when it gave one (a 429 or 503 that was not retried here). */
    retryAfterMs?: number,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
    this.name = 'GraphError';
  }
}

interface TokenSource {
  graphToken(tenant: Tenant): Promise<string>;
}

export interface GraphClientOptions {
  outbound: Outbound;
  tokens: TokenSource;
  /** Attempts per request, the first included (default 5). */
  maxAttempts?: number;
  /** Back-off base and cap in ms (default 1 s and 60 s); Retry-After is honoured up to the cap. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Waits between attempts (tests pass one that returns at once and records the delay). */
  sleep?: (ms: number) => Promise<void>;
}

export interface GraphRequestOptions {
  headers?: Record<string, string>;
}

export interface PagesOptions extends GraphRequestOptions {
  /** Called with the @odata.deltaLink of the last page of a delta query. */
  onDeltaLink?: (link: string) => void;
}

const RETRIED = new Set([429, 503, 504]);
const RESET = /ECONNRESET|socket hang up|EPIPE/;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function retryAfterMs(res: OutboundResponse): number | undefined {
  const v = res.headers['retry-after'];
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function graphErrorOf(res: OutboundResponse): GraphError {
  let code = `http_${res.status}`;
  let message = `Microsoft Graph answered HTTP ${res.status}`;
  try {
    const body = JSON.parse(res.body) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status
  }
  return new GraphError(res.status, code, message, retryAfterMs(res));
}

export class GraphClient {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly opts: GraphClientOptions;

  constructor(opts: GraphClientOptions) {
    this.opts = opts;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /** A path ("/v1.0/organization") or a link Graph returned; only the tenant's Graph host is allowed. */
  private urlFor(tenant: Tenant, pathOrUrl: string): string {
    const base = cloudEndpoints(tenant.cloud).graphBase;
    if (!/^https?:\/\//i.test(pathOrUrl)) return base + (pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`);
    if (new URL(pathOrUrl).origin !== new URL(base).origin)
      throw new GraphError(0, 'foreign_link', `refusing to follow a link off ${new URL(base).host}: ${pathOrUrl}`);
    return pathOrUrl;
  }

  private async send(tenant: Tenant, method: 'GET' | 'PATCH', pathOrUrl: string, body: unknown, extra: Record<string, string> = {}): Promise<OutboundResponse> {
    const url = this.urlFor(tenant, pathOrUrl);
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.tokens.graphToken(tenant);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', ...extra };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res: OutboundResponse;
      try {
        res = await this.opts.outbound.request(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (err) {
        // A kept-alive connection the server closed meanwhile (between two group syncs): a GET is sent again at once.
        if (method === 'GET' && attempt < this.maxAttempts && err instanceof OutboundError && RESET.test(err.reason)) continue;
        throw err;
      }
      if (!RETRIED.has(res.status) || attempt >= this.maxAttempts) {
        if (res.status >= 400) throw graphErrorOf(res);
        return res;
      }
      const backoff = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
      await this.sleep(Math.min(this.maxBackoffMs, retryAfterMs(res) ?? backoff));
    }
  }

  async get<T>(tenant: Tenant, path: string, opts: GraphRequestOptions = {}): Promise<T> {
    const res = await this.send(tenant, 'GET', path, undefined, opts.headers);
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new GraphError(res.status, 'invalid_response', 'Microsoft Graph answered with something other than JSON');
    }
  }

  /** Each page's `value`; follows @odata.nextLink; the delta link goes to opts.onDeltaLink. */
  async *pages<T>(tenant: Tenant, path: string, opts: PagesOptions = {}): AsyncGenerator<T[]> {
    let next: string | undefined = path;
    while (next) {
      const page: { value?: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } = await this.get(tenant, next, opts);
      yield page.value ?? [];
      next = page['@odata.nextLink'];
      if (!next && page['@odata.deltaLink']) opts.onDeltaLink?.(page['@odata.deltaLink']);
    }
  }

  async patch(tenant: Tenant, path: string, body: unknown, opts: GraphRequestOptions = {}): Promise<void> {
    await this.send(tenant, 'PATCH', path, body, opts.headers);
  }
}
