// The outbound side of WNS: an access token from the token endpoint (OAuth client credentials
// with the package SID and secret), cached until shortly before it expires, and raw
// notifications POSTed to a device's channel. One fetch at a time for the token (concurrent
// pushes share it); a 401 from the channel gets one new token and one retry, nothing more.
// The secret goes only into the token request's body: never into an error, a log line or a URL.

export interface WnsCredentials {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
}

/** How one push went: sent, or why not (the device's push health and the metric label). */
export type PushResult = 'sent' | 'token-error' | 'unauthorized' | 'forbidden' | 'gone' | 'throttled' | 'server-error' | 'error' | 'timeout' | 'cancelled';

export interface SendOutcome {
  result: PushResult;
  /** HTTP status of the channel (or token endpoint, for token-error). */
  status?: number;
  /** Retry-After of a throttled or unavailable answer, ms. */
  retryAfterMs?: number;
  /** X-WNS-NotificationStatus / X-WNS-Error-Description, or the failure, for the admin. */
  detail?: string;
}

/** Renew the token this long before WNS says it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;
const MAX_DETAIL = 200;
/** After a failed token request, the next one waits this long. */
const TOKEN_RETRY_MS = 30_000;

class TokenError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

export class WnsClient {
  private token?: { value: string; until: number };
  private fetching?: Promise<string>;
  /** A refused token request is not repeated for every push meanwhile (wrong secret: no storm). */
  private refused?: { until: number; err: TokenError };
  /** Aborted at shutdown: requests under way end at once (cancel). */
  private readonly stop = new AbortController();
  private readonly creds: WnsCredentials;
  private readonly opts: { timeoutMs?: number; now?: () => number };

  constructor(creds: WnsCredentials, opts: { timeoutMs?: number; now?: () => number } = {}) {
    this.creds = creds;
    this.opts = opts;
  }

  private get timeoutMs() {
    return this.opts.timeoutMs ?? 10_000;
  }

  private now() {
    return this.opts.now?.() ?? Date.now();
  }

  /** End every request under way and refuse new ones (the server is shutting down). */
  cancel(): void {
    this.stop.abort();
  }

  private signal() {
    return AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.stop.signal]);
  }

  /** A valid access token: the cached one, or a new one (one request however many ask at once). */
  async accessToken(): Promise<string> {
    if (this.token && this.token.until > this.now()) return this.token.value;
    if (this.refused && this.refused.until > this.now()) throw this.refused.err;
    this.fetching ??= this.fetchToken().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  /** Forget the cached token (WNS said it expired or is invalid). */
  dropToken(stale: string): void {
    if (this.token?.value === stale) this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    try {
      const token = await this.requestToken();
      this.refused = undefined;
      return token;
    } catch (err) {
      this.refused = { until: this.now() + TOKEN_RETRY_MS, err: err as TokenError };
      throw err;
    }
  }

  private async requestToken(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.creds.clientId,
      client_secret: this.creds.clientSecret,
      scope: 'notify.windows.com',
    });
    let res: Response;
    try {
      res = await fetch(this.creds.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        redirect: 'manual',
        signal: this.signal(),
      });
    } catch (err) {
      if (this.stop.signal.aborted) throw new TokenError('token request cancelled: server shutting down');
      throw new TokenError(`token endpoint unreachable: ${(err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status !== 200) {
      // The OAuth error code only (the body could echo what we sent).
      const code = /"error"\s*:\s*"([a-z_]{1,40})"/.exec(text)?.[1];
      throw new TokenError(`token endpoint answered ${res.status}${code ? ` (${code})` : ''}`, res.status);
    }
    let json: { access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new TokenError('token endpoint answered something that is not JSON', res.status);
    }
    if (typeof json.access_token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(json.access_token)) {
      throw new TokenError('token endpoint answered no usable access_token', res.status);
    }
    const expiresIn = Number(json.expires_in);
    const lifeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 3600_000;
    this.token = { value: json.access_token, until: this.now() + Math.max(lifeMs - TOKEN_MARGIN_MS, lifeMs / 2) };
    return json.access_token;
  }

  /** A raw notification to a channel (already checked against the allowed hosts): one retry with a new token after a 401. */
  async send(channelUri: string): Promise<SendOutcome> {
    let token: string;
    try {
      token = await this.accessToken();
    } catch (err) {
      if (this.stop.signal.aborted) return { result: 'cancelled', detail: 'server shutting down' };
      return { result: 'token-error', status: (err as TokenError).status, detail: (err as Error).message.slice(0, MAX_DETAIL) };
    }
    const first = await this.post(channelUri, token);
    if (first.result !== 'unauthorized') return first;
    this.dropToken(token);
    try {
      token = await this.accessToken();
    } catch (err) {
      if (this.stop.signal.aborted) return { result: 'cancelled', detail: 'server shutting down' };
      return { result: 'token-error', status: (err as TokenError).status, detail: (err as Error).message.slice(0, MAX_DETAIL) };
    }
    return this.post(channelUri, token);
  }

  private async post(channelUri: string, token: string): Promise<SendOutcome> {
    let res: Response;
    try {
      res = await fetch(channelUri, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'x-wns-type': 'wns/raw',
          // Kept by WNS while the device is offline: it checks in when it is back.
          'x-wns-cache-policy': 'cache',
        },
        // The payload is not read by the DM client: a push only starts a session.
        body: Buffer.from('fenestra'),
        redirect: 'manual',
        signal: this.signal(),
      });
    } catch (err) {
      if (this.stop.signal.aborted) return { result: 'cancelled', detail: 'server shutting down' };
      const timeout = (err as Error).name === 'TimeoutError';
      return { result: timeout ? 'timeout' : 'error', detail: timeout ? `no answer within ${this.timeoutMs} ms` : (err as Error).message.slice(0, MAX_DETAIL) };
    }
    await res.body?.cancel().catch(() => undefined);
    const status = res.status;
    const wnsDetail = [res.headers.get('x-wns-notificationstatus'), res.headers.get('x-wns-error-description')].filter(Boolean).join('; ').slice(0, MAX_DETAIL);
    const detail = wnsDetail || undefined;
    if (status === 200) return { result: 'sent', status, detail };
    if (status === 401) return { result: 'unauthorized', status, detail };
    if (status === 403) return { result: 'forbidden', status, detail };
    // 404: WNS does not know the channel; 410: it expired. Either way: wait for a new one.
    if (status === 404 || status === 410) return { result: 'gone', status, detail };
    const retryAfterMs = retryAfter(res.headers.get('retry-after'));
    if (status === 406 || status === 429) return { result: 'throttled', status, retryAfterMs, detail };
    if (status >= 500) return { result: 'server-error', status, retryAfterMs, detail };
    return { result: 'error', status, detail: detail ?? `channel answered ${status}` };
  }
}

function retryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  if (/^\d{1,6}$/.test(h.trim())) return Number(h.trim()) * 1000;
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}
