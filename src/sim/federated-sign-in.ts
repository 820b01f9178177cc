// "Enroll only in device management" against a Federated discovery answer, the web part (MS-MDE2
// §3.2): what Windows' web view does with the AuthenticationServiceUrl. It opens
// <AuthenticationServiceUrl>?appru=ms-app://…&login_hint=<upn>, the user signs in — with Entra ID
// (the server's link, then Entra's redirects and the way back; cookies kept for the server) or an
// on-premises enrollment account (the page's form) — and the last page posts `wresult` to appru:
// here read from that page's form instead of posted.
import type { HttpsOptions, HttpsResponse } from './https-client.js';

export type FederatedSignInMethod = { kind: 'entra'; tenantId?: string } | { kind: 'account'; username: string; password: string };

export interface FederatedSignInOptions {
  authenticationUrl: string;
  appru: string;
  loginHint?: string;
  method: FederatedSignInMethod;
  /** Requests to the enrollment server (its trust anchors, connectTo). */
  server: (url: string, opts: HttpsOptions) => Promise<HttpsResponse>;
  /** Requests elsewhere (Entra's sign-in); default: fetch without following redirects. */
  other?: (url: string) => Promise<{ status: number; location?: string; text: string }>;
}

export class FederatedSignInError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'FederatedSignInError';
    this.status = status;
  }
}

const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1]) : undefined;
};

/** The words of a page's alert (an error page or a refused sign-in), for the error. */
const alertOf = (html: string) => {
  const m = /role="alert"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return m ? unescape(m[1].replace(/<[^>]+>/g, '')).trim() : html.slice(0, 200);
};

const firstHeader = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

async function otherFetch(url: string): Promise<{ status: number; location?: string; text: string }> {
  const r = await fetch(url, { redirect: 'manual' });
  return { status: r.status, location: r.headers.get('location') ?? undefined, text: await r.text() };
}

/** Signs in as asked and returns the wresult and the appru the last page posts it to. */
export async function federatedSignIn(o: FederatedSignInOptions): Promise<{ wresult: string; appru: string }> {
  const start = new URL(o.authenticationUrl);
  start.searchParams.set('appru', o.appru);
  if (o.loginHint) start.searchParams.set('login_hint', o.loginHint);
  const origin = start.origin;
  const cookies = new Map<string, string>();
  const server = async (url: string, opts: HttpsOptions = {}) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await o.server(url, { ...opts, headers });
    const set = r.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      if (i > 0) {
        const v = pair.slice(i + 1);
        if (v === '') cookies.delete(pair.slice(0, i));
        else cookies.set(pair.slice(0, i), v);
      }
    }
    return r;
  };

  const first = await server(start.toString(), { method: 'GET' });
  // A login_hint in a connected tenant's domain may send the web view straight to that tenant's sign-in.
  const straight = first.status >= 300 && first.status < 400 ? firstHeader(first.headers.location) : undefined;
  if (first.status !== 200 && !straight)
    throw new FederatedSignInError(`the sign-in page answered HTTP ${first.status}: ${alertOf(first.text())}`, first.status);
  const page = first.text();
  let last: HttpsResponse;
  if (straight && o.method.kind === 'account')
    throw new FederatedSignInError(`the sign-in page went straight to ${new URL(straight, origin).origin} for this login hint: no enrollment account form`);
  if (o.method.kind === 'account') {
    const form = /<form method="post"[^>]*>([\s\S]*?)<\/form>/.exec(page);
    const attempt = form && /<input type="hidden" name="attempt"[^>]*>/.exec(form[1]);
    if (!attempt) throw new FederatedSignInError('the sign-in page offers no enrollment account form');
    const body = new URLSearchParams({ attempt: attr(attempt[0], 'value') ?? '', username: o.method.username, password: o.method.password }).toString();
    last = await server(start.toString(), { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  } else {
    const links = [...page.matchAll(/<a [^>]*href="([^"]*\/Authenticate\/entra\?[^"]*)"/g)].map((m) => new URL(unescape(m[1]), origin));
    const tenantId = o.method.tenantId;
    const link = straight ? new URL(straight, origin) : tenantId ? links.find((u) => u.searchParams.get('tenant') === tenantId) : links[0];
    if (!link) throw new FederatedSignInError(`the sign-in page offers no Entra ID sign-in${tenantId ? ` for tenant ${tenantId}` : ''}`);
    let url = link.toString();
    const other = o.other ?? otherFetch;
    for (let hop = 0; ; hop++) {
      if (hop > 10) throw new FederatedSignInError('too many redirects during the Entra ID sign-in');
      if (new URL(url).origin === origin) {
        last = await server(url, { method: 'GET' });
        const loc = firstHeader(last.headers.location);
        if (last.status >= 300 && last.status < 400 && loc) {
          url = new URL(loc, url).toString();
          continue;
        }
        break;
      }
      const r = await other(url);
      if (r.status >= 300 && r.status < 400 && r.location) url = new URL(r.location, url).toString();
      else {
        // The provider's own sign-in page: its "continue" link (the fake's interactive page).
        const next = /<a [^>]*id="continue"[^>]*href="([^"]*)"|<a [^>]*href="([^"]*)"[^>]*id="continue"/.exec(r.text);
        if (r.status !== 200 || !next) throw new FederatedSignInError(`Entra ID answered HTTP ${r.status}: ${r.text.slice(0, 200)}`, r.status);
        url = new URL(unescape(next[1] ?? next[2]), url).toString();
      }
    }
  }
  const html = last.text();
  const form = /<form method="post" action="([^"]*)">[\s\S]*?<input type="hidden" name="wresult" value="([^"]*)">/.exec(html);
  if (last.status !== 200 || !form) throw new FederatedSignInError(`the sign-in was refused (HTTP ${last.status}): ${alertOf(html)}`, last.status);
  return { appru: unescape(form[1]), wresult: unescape(form[2]) };
}
