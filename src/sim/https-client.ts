// A small HTTPS client for the device simulator, tests and benchmarks: explicit trust
// anchors, optional client certificate, a new connection per request unless an agent is given.
import https from 'node:https';

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text(): string;
  /** The TLS connection resumed an earlier session. */
  tlsResumed: boolean;
}

export interface HttpsOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Trust anchors (PEM) for the server certificate. */
  ca?: string | string[];
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string;
  key?: string;
  agent?: https.Agent;
  /** Connect here instead of the URL's host (the URL's host is still sent as SNI and Host). */
  connectTo?: { host: string; port: number };
  timeoutMs?: number;
  /** A TLS session to resume (from onSession of an earlier connection with the same client certificate). */
  session?: Buffer;
  /** Receives the TLS session (ticket) the server hands out, for resumption later. */
  onSession?: (session: Buffer) => void;
}

const SESSION_LISTENER = Symbol('fenestra.sessionListener');

export function httpsRequest(url: string, opts: HttpsOptions = {}): Promise<HttpsResponse> {
  const u = new URL(url);
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        host: opts.connectTo?.host ?? u.hostname,
        port: opts.connectTo?.port ?? (u.port ? Number(u.port) : 443),
        servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname,
        path: u.pathname + u.search,
        headers: { host: u.host, ...headers },
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 30_000,
        ...(opts.session ? { session: opts.session } : {}),
      },
      (res) => {
        // Read now: the socket goes back to its agent (and res.socket to null) at the end.
        const tlsResumed = (res.socket as unknown as { isSessionReused?: () => boolean } | null)?.isSessionReused?.() === true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text: () => buf.toString('utf8'), tlsResumed });
        });
        res.on('error', reject);
      },
    );
    if (opts.onSession) {
      const cb = opts.onSession;
      // Once per socket: a kept-alive socket carries many requests.
      req.on('socket', (s) => {
        const tagged = s as typeof s & { [SESSION_LISTENER]?: true };
        if (tagged[SESSION_LISTENER]) return;
        tagged[SESSION_LISTENER] = true;
        s.on('session', (session: Buffer) => cb(session));
      });
    }
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
