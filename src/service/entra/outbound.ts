// The one way out to Entra ID and Microsoft Graph. Requests keep their real URLs; on a test
// machine (FENESTRA_ENV=test only) a host map sends chosen hosts to local fakes while the TLS
// name (SNI) and the Host header stay the real ones, and a test CA is trusted for them — so a
// fake can tell which host a call was meant for (e.g. that a GCC High tenant never called .com).
import https from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

export interface OutboundTarget {
  host: string;
  port: number;
}

export interface OutboundOptions {
  /** Test only: real host (lower case, with ":port" when not 443) → where to connect instead. */
  hosts?: ReadonlyMap<string, OutboundTarget>;
  /** Test only: PEM of the CA that signs the fakes' certificates (trusted instead of the system store). */
  ca?: string;
  /** Per request, in milliseconds (default 30 s). */
  timeoutMs?: number;
}

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** An outbound call that got no HTTP answer (refused, reset, timed out, TLS failure). */
export class OutboundError extends Error {
  readonly url: string;
  readonly reason: string;
  constructor(url: string, reason: string) {
    super(`no answer from ${new URL(url).host}: ${reason}`);
    this.url = url;
    this.reason = reason;
    this.name = 'OutboundError';
  }
}

/**
 * Parse FENESTRA_TEST_OUTBOUND: `host=ip:port,host=ip:port`. Returns the map or a problem
 * sentence naming the bad entry.
 */
export function parseOutboundMap(spec: string): ReadonlyMap<string, OutboundTarget> | string {
  const out = new Map<string, OutboundTarget>();
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^([a-z0-9.-]+(?::\d+)?)=([a-z0-9.-]+|\[[0-9a-f:]+\]):(\d{1,5})$/i.exec(entry);
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) return `${JSON.stringify(entry)} is not host=address:port`;
    out.set(m[1]!.toLowerCase(), { host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) });
  }
  return out;
}

function headersOf(res: import('node:http').IncomingMessage): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return h;
}

export class Outbound {
  private readonly agent: https.Agent;
  private readonly opts: OutboundOptions;

  constructor(opts: OutboundOptions = {}) {
    this.opts = opts;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(opts.ca ? { ca: opts.ca } : {}) });
  }

  request(url: string, req: OutboundRequest): Promise<OutboundResponse> {
    const u = new URL(url);
    if (u.protocol !== 'https:') return Promise.reject(new OutboundError(url, 'only https:// is allowed'));
    const target = this.opts.hosts?.get(u.host.toLowerCase());
    const headers: Record<string, string> = { host: u.host, ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const timeout = req.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const r = https.request(
        {
          method: req.method,
          host: target?.host ?? u.hostname,
          port: target?.port ?? (u.port ? Number(u.port) : 443),
          servername: u.hostname,
          path: u.pathname + u.search,
          headers,
          agent: this.agent,
          timeout,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(new OutboundError(url, e.message)));
        },
      );
      r.on('timeout', () => r.destroy(new Error(`timed out after ${timeout} ms`)));
      r.on('error', (e) => reject(new OutboundError(url, e.message)));
      r.end(req.body);
    });
  }

  /** The same path for MSAL's own calls (discovery documents, token requests). */
  msalNetwork(): INetworkModule {
    const send = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeoutMs?: number): Promise<NetworkResponse<T>> => {
      const res = await this.request(url, { method, headers: options?.headers, body: options?.body, timeoutMs });
      let body: unknown;
      try {
        body = res.body ? JSON.parse(res.body) : {};
      } catch {
        body = { error: 'invalid_response', error_description: `HTTP ${res.status}, not JSON` };
      }
      return { status: res.status, headers: res.headers, body: body as T };
    };
    return {
      sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
      sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
