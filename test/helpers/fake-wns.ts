// A local stand-in for WNS, a real HTTP server on loopback: the OAuth token endpoint
// (/accesstoken.srf: client credentials → a bearer token) and the channels (/wns/<name>: a raw
// notification needs a token it issued and not revoked). It records what it receives, emits
// 'notification' with the channel name for every notification it accepted, and answers the
// errors WNS answers on demand (failNext: 401 expired token, 410 channel gone, 406 throttled, 5xx).
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRequest {
  form: Record<string, string>;
  contentType?: string;
}

export interface ReceivedNotification {
  channel: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The bearer token is one this fake issued and has not revoked. */
  tokenValid: boolean;
  /** What the fake answered. */
  status: number;
  at: number;
}

export interface FakeWns {
  baseUrl: string;
  tokenUrl: string;
  channelUrl(name: string): string;
  tokenRequests: TokenRequest[];
  notifications: ReceivedNotification[];
  /** 'notification' (channel name, ReceivedNotification) for each accepted (200) notification. */
  events: EventEmitter;
  /** The next notification(s) to this channel ('*': any) get this status instead (with these headers). */
  failNext(channel: string, status: number, headers?: Record<string, string>, times?: number): void;
  /** The token endpoint answers this status (with an OAuth error) until cleared (undefined). */
  failTokens(status: number | undefined): void;
  /** Every token issued so far is expired: channels answer 401 to them (WNS: "Token expired"). */
  expireTokens(): void;
  /** Wait for the nth (1-based) notification to `channel`, at most `ms`. */
  waitFor(channel: string, n?: number, ms?: number): Promise<ReceivedNotification>;
  close(): Promise<void>;
}

export async function startFakeWns(expected: { clientId: string; clientSecret: string }): Promise<FakeWns> {
  const valid = new Set<string>();
  const tokenRequests: TokenRequest[] = [];
  const notifications: ReceivedNotification[] = [];
  const events = new EventEmitter();
  const failures: { channel: string; status: number; headers: Record<string, string>; times: number }[] = [];
  let tokenFailure: number | undefined;

  const readBody = (req: http.IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const url = (req.url ?? '').split('?')[0];
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(v));
    };
    if (url === '/accesstoken.srf' && req.method === 'POST') {
      const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      tokenRequests.push({ form, contentType: req.headers['content-type'] });
      if (tokenFailure) return json(tokenFailure, { error: 'invalid_client', error_description: 'told to fail' });
      if (form.grant_type !== 'client_credentials' || form.scope !== 'notify.windows.com') return json(400, { error: 'invalid_request' });
      if (form.client_id !== expected.clientId || form.client_secret !== expected.clientSecret) return json(400, { error: 'invalid_client' });
      const token = crypto.randomBytes(24).toString('base64url');
      valid.add(token);
      return json(200, { access_token: token, token_type: 'bearer', expires_in: 86400 });
    }
    const m = /^\/wns\/([^/]+)$/.exec(url);
    if (m && req.method === 'POST') {
      const channel = decodeURIComponent(m[1]);
      const token = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const tokenValid = token !== undefined && valid.has(token);
      const record = (status: number) => {
        const n: ReceivedNotification = { channel, headers: req.headers, body, tokenValid, status, at: Date.now() };
        notifications.push(n);
        return n;
      };
      const i = failures.findIndex((f) => f.channel === channel || f.channel === '*');
      if (i >= 0) {
        const f = failures[i];
        if (--f.times <= 0) failures.splice(i, 1);
        record(f.status);
        res.writeHead(f.status, f.headers);
        return res.end();
      }
      if (!tokenValid) {
        record(401);
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token",error_description="Token expired"' });
        return res.end();
      }
      if (req.headers['x-wns-type'] !== 'wns/raw' || req.headers['content-type'] !== 'application/octet-stream') {
        record(400);
        res.writeHead(400);
        return res.end();
      }
      const n = record(200);
      res.writeHead(200, { 'x-wns-notificationstatus': 'received', 'x-wns-msg-id': crypto.randomUUID() });
      res.end();
      events.emit('notification', channel, n);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    tokenUrl: `${baseUrl}/accesstoken.srf`,
    channelUrl: (name) => `${baseUrl}/wns/${encodeURIComponent(name)}`,
    tokenRequests,
    notifications,
    events,
    failNext(channel, status, headers = {}, times = 1) {
      failures.push({ channel, status, headers, times });
    },
    failTokens(status) {
      tokenFailure = status;
    },
    expireTokens() {
      valid.clear();
    },
    waitFor(channel, n = 1, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = notifications.filter((x) => x.channel === channel);
          if (got.length >= n) {
            clearTimeout(timer);
            clearInterval(poll);
            resolve(got[n - 1]);
          }
        };
        // Notifications answered with an error emit nothing: look at the record too.
        const poll = setInterval(check, 10);
        const timer = setTimeout(() => {
          clearInterval(poll);
          reject(new Error(`no notification #${n} to ${channel} within ${ms} ms`));
        }, ms);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
