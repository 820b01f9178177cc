// Terms-of-Use endpoint (docs/protocol-notes.md "Terms of use"): Windows opens
//   GET {ToU URL}?redirect_uri=ms-appx-web://…&client-request-id=<guid>&api-version=1.0[&mode=azureadjoin]
// with `Authorization: Bearer <Entra access token>`. We validate the token, render the terms, and
// the page's Accept/Decline form POSTs back to us; we then 302 to
//   redirect_uri?IsAccepted=true&OpaqueBlob=<sealed>   or   redirect_uri?IsAccepted=false
// The POST carries no token (the webview does not resend it), so the identity travels in a
// short-lived HMAC-sealed `state` field written into the form by the GET.
//
// Rules kept here (the HTTP plugin only adapts):
// * Only ms-appx-web:// and ms-aadj-redir:// targets are ever redirected to; anything else is a 400.
// * api-version must be 1.0, else error=invalid_request.
// * Missing/invalid token or unconnected tenant -> error=unauthorized_client; key endpoint or
//   internal failure -> error=server_error.
// * Decline is shown, and accepted, only outside Entra join (mode=azureadjoin).
// * client-request-id is echoed on every redirect. Nothing user-supplied reaches the page unescaped.
import { EntraTokenError, type EntraValidator, type EntraIdentity } from '../identity/entra.js';
import { OPAQUE_BLOB_TTL_MS, OpaqueBlobError, openHmac, sealHmac, signOpaqueBlob } from '../identity/opaque-blob.js';

export interface TermsOfUseDeps {
  validator: EntraValidator;
  blobSecret: Buffer;
  /** ms since epoch; default Date.now */
  now?: () => number;
  /** bodyHtml is trusted, admin-supplied HTML (not escaped); title is escaped. */
  termsText?: { title: string; bodyHtml: string };
}

export type TermsOfUseOutcome =
  | { kind: 'page'; status: number; html: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; status: number; message: string };

/** How long the rendered page (its sealed state) stays usable. */
export const TOU_STATE_TTL_MS = 30 * 60 * 1000;

const STATE_PURPOSE = 'tou-page-state';
const MAX_REDIRECT_URI = 2048;
const MAX_CLIENT_REQUEST_ID = 128;
/** Windows redirect targets only; RFC 3986 characters only (no spaces, quotes, angle brackets, non-ASCII). */
const ALLOWED_REDIRECT = /^(?:ms-appx-web|ms-aadj-redir):\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/i;
const CLIENT_REQUEST_ID = /^[\x21-\x7e]+$/;

const DEFAULT_TERMS = {
  title: 'Terms of use',
  bodyHtml:
    '<p>Your organization manages devices that access its resources. By accepting, you allow ' +
    'your organization to enroll this device in its device management service, apply its ' +
    'security policies and settings, and read device information needed to keep it compliant.</p>' +
    '<p>Your organization cannot see your personal files, browsing history or personal email.</p>',
};

const DESCRIPTIONS = {
  unsupportedVersion: 'unsupported version',
  badTenantOrUser: 'unauthorized user or tenant',
  badToken: 'unauthorized_client',
  internal: 'internal service error',
  expired: 'terms of use session expired',
} as const;

interface PageState {
  ru: string;
  crid?: string;
  mode: 'azureadjoin' | 'workaccount';
  tid: string;
  oid: string;
  upn?: string;
  exp: number;
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers (exported for reuse and tests)

/** The redirect target if it is an allowed Windows broker URI, else undefined. */
export function checkRedirectUri(value: string | undefined): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REDIRECT_URI) return undefined;
  if (!ALLOWED_REDIRECT.test(value)) return undefined;
  try {
    const u = new URL(value);
    if (u.protocol !== 'ms-appx-web:' && u.protocol !== 'ms-aadj-redir:') return undefined;
  } catch {
    return undefined;
  }
  return value;
}

/** Append query parameters (percent-encoded) before any fragment, with `?` or `&` as needed. */
export function appendQuery(uri: string, params: ReadonlyArray<readonly [string, string]>): string {
  const hash = uri.indexOf('#');
  const base = hash >= 0 ? uri.slice(0, hash) : uri;
  const fragment = hash >= 0 ? uri.slice(hash) : '';
  const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  if (query.length === 0) return uri;
  let sep: string;
  if (!base.includes('?')) sep = '?';
  else if (base.endsWith('?') || base.endsWith('&')) sep = '';
  else sep = '&';
  return `${base}${sep}${query}${fragment}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

function cleanClientRequestId(value: string | undefined): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLIENT_REQUEST_ID) return undefined;
  return CLIENT_REQUEST_ID.test(value) ? value : undefined;
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const m = /^\s*Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
  return m ? m[1] : undefined;
}

function isJoinMode(mode: string | undefined): boolean {
  return typeof mode === 'string' && mode.toLowerCase() === 'azureadjoin';
}

type Theme = 'dark' | 'light';
function themeFor(cxhHost: string | undefined): Theme {
  return typeof cxhHost === 'string' && cxhHost.trim().toUpperCase() === 'FRX' ? 'dark' : 'light';
}

function withCrid(params: Array<[string, string]>, crid: string | undefined): Array<[string, string]> {
  if (crid !== undefined) params.push(['client-request-id', crid]);
  return params;
}

function errorRedirect(ru: string, crid: string | undefined, error: string, description: string): TermsOfUseOutcome {
  return {
    kind: 'redirect',
    location: appendQuery(ru, withCrid([['error', error], ['error_description', description]], crid)),
  };
}

function badRequest(message: string): TermsOfUseOutcome {
  return { kind: 'error', status: 400, message };
}

function parseState(value: unknown): PageState | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const s = value as Record<string, unknown>;
  if (typeof s.ru !== 'string' || typeof s.tid !== 'string' || typeof s.oid !== 'string') return undefined;
  if (s.mode !== 'azureadjoin' && s.mode !== 'workaccount') return undefined;
  if (typeof s.exp !== 'number' || !Number.isFinite(s.exp)) return undefined;
  if (s.crid !== undefined && typeof s.crid !== 'string') return undefined;
  if (s.upn !== undefined && typeof s.upn !== 'string') return undefined;
  const out: PageState = { ru: s.ru, mode: s.mode, tid: s.tid, oid: s.oid, exp: s.exp };
  if (s.crid !== undefined) out.crid = s.crid;
  if (s.upn !== undefined) out.upn = s.upn;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const PALETTES: Record<Theme, Record<string, string>> = {
  // OOBE (CXH-HOST: FRX)
  dark: {
    scheme: 'dark',
    bg: '#202020',
    fg: '#ffffff',
    muted: '#d6d6d6',
    panel: '#2b2b2b',
    border: '#9a9a9a',
    primaryBg: '#4cc2ff',
    primaryFg: '#000000',
    secondaryBg: '#2d2d2d',
    secondaryFg: '#ffffff',
    focus: '#ffffff',
  },
  // Settings (CXH-HOST: MOSET) and everything else
  light: {
    scheme: 'light',
    bg: '#ffffff',
    fg: '#1b1b1b',
    muted: '#505050',
    panel: '#f7f7f7',
    border: '#767676',
    primaryBg: '#005fb8',
    primaryFg: '#ffffff',
    secondaryBg: '#fbfbfb',
    secondaryFg: '#1b1b1b',
    focus: '#000000',
  },
};

function css(theme: Theme): string {
  const p = PALETTES[theme];
  return `
:root{color-scheme:${p.scheme}}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:${p.bg};color:${p.fg};font-family:"Segoe UI Variable","Segoe UI",system-ui,sans-serif;font-size:15px;line-height:1.5}
main{max-width:44rem;margin:0 auto;padding:2rem 1.5rem}
h1{font-size:1.75rem;font-weight:600;margin:0 0 1rem}
.who{color:${p.muted};margin:0 0 1rem}
.terms{background:${p.panel};border:1px solid ${p.border};border-radius:6px;padding:1rem 1.25rem;max-height:50vh;overflow:auto}
.terms:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;justify-content:flex-end;margin-top:1.5rem}
button{font:inherit;min-width:8rem;min-height:2.5rem;padding:.4rem 1.25rem;border-radius:4px;cursor:pointer}
button.primary{background:${p.primaryBg};color:${p.primaryFg};border:1px solid ${p.primaryBg}}
button.secondary{background:${p.secondaryBg};color:${p.secondaryFg};border:1px solid ${p.border}}
button:focus{outline:3px solid ${p.focus};outline-offset:2px}
button:focus:not(:focus-visible){outline:none}
button:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
@media (forced-colors:active){button,.terms{border:1px solid CanvasText}}
`;
}

function renderPage(opts: { theme: Theme; title: string; bodyHtml: string; upn?: string; state: string; showDecline: boolean }): string {
  const title = escapeHtml(opts.title);
  const who = opts.upn ? `<p class="who">Signed in as <strong>${escapeHtml(opts.upn)}</strong></p>` : '';
  const decline = opts.showDecline
    ? '<button type="submit" class="secondary" name="decision" value="decline">Decline</button>'
    : '';
  return `<!DOCTYPE html>
<html lang="en" class="theme-${opts.theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${css(opts.theme)}</style>
</head>
<body>
<main id="main" aria-labelledby="tou-title">
<h1 id="tou-title">${title}</h1>
${who}
<section class="terms" id="tou-text" role="region" aria-labelledby="tou-title" tabindex="0">
${opts.bodyHtml}
</section>
<form method="post" aria-label="Respond to the terms of use">
<input type="hidden" name="state" value="${escapeHtml(opts.state)}">
<div class="actions">
${decline}
<button type="submit" class="primary" name="decision" value="accept">Accept</button>
</div>
</form>
</main>
</body>
</html>
`;
}

/** A small accessible HTML page for an `error` outcome (used by the HTTP layer). */
export function renderTermsErrorPage(message: string, cxhHost?: string): string {
  const theme = themeFor(cxhHost);
  return `<!DOCTYPE html>
<html lang="en" class="theme-${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terms of use unavailable</title>
<style>${css(theme)}</style>
</head>
<body>
<main id="main" aria-labelledby="err-title">
<h1 id="err-title">Something went wrong</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>Close this window and start the enrollment again. If the problem continues, contact your IT department.</p>
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Handlers

/** GET: validate the request and the Entra token, render the terms page. */
export async function handleTermsOfUse(
  deps: TermsOfUseDeps,
  req: { query: Record<string, string | undefined>; authorization?: string; cxhHost?: string },
): Promise<TermsOfUseOutcome> {
  const q = req.query ?? {};
  const ru = checkRedirectUri(q.redirect_uri);
  if (!ru) return badRequest('The redirect_uri parameter is missing or is not an allowed Windows redirect target.');
  const crid = cleanClientRequestId(q['client-request-id']);

  if (q['api-version'] !== '1.0') return errorRedirect(ru, crid, 'invalid_request', DESCRIPTIONS.unsupportedVersion);

  const token = bearerToken(req.authorization);
  if (!token) return errorRedirect(ru, crid, 'unauthorized_client', DESCRIPTIONS.badToken);

  let identity: EntraIdentity;
  try {
    identity = await deps.validator.validate(token);
  } catch (err) {
    if (err instanceof EntraTokenError) {
      if (err.code === 'jwks_unavailable') return errorRedirect(ru, crid, 'server_error', DESCRIPTIONS.internal);
      if (err.code === 'unknown_tenant' || err.code === 'missing_claim') {
        return errorRedirect(ru, crid, 'unauthorized_client', DESCRIPTIONS.badTenantOrUser);
      }
      return errorRedirect(ru, crid, 'unauthorized_client', DESCRIPTIONS.badToken);
    }
    return errorRedirect(ru, crid, 'server_error', DESCRIPTIONS.internal);
  }

  const join = isJoinMode(q.mode);
  const now = (deps.now ?? Date.now)();
  const state: PageState = { ru, mode: join ? 'azureadjoin' : 'workaccount', tid: identity.tenantId, oid: identity.objectId, exp: now + TOU_STATE_TTL_MS };
  if (crid !== undefined) state.crid = crid;
  if (identity.upn !== undefined) state.upn = identity.upn;

  const terms = deps.termsText ?? DEFAULT_TERMS;
  const html = renderPage({
    theme: themeFor(req.cxhHost),
    title: terms.title,
    bodyHtml: terms.bodyHtml,
    upn: identity.upn,
    state: sealHmac(STATE_PURPOSE, state, deps.blobSecret),
    showDecline: !join,
  });
  return { kind: 'page', status: 200, html };
}

/** POST from the page's Accept/Decline buttons. */
export async function handleTermsDecision(deps: TermsOfUseDeps, req: { form: Record<string, string | undefined> }): Promise<TermsOfUseOutcome> {
  const form = req.form ?? {};
  if (typeof form.state !== 'string' || form.state.length === 0) return badRequest('The form is missing its state.');

  let state: PageState | undefined;
  try {
    state = parseState(openHmac(STATE_PURPOSE, form.state, deps.blobSecret));
  } catch (err) {
    if (err instanceof OpaqueBlobError) return badRequest('The form state is invalid.');
    throw err;
  }
  // Defence in depth: the sealed target was checked at GET time; check it again anyway.
  if (!state || checkRedirectUri(state.ru) === undefined) return badRequest('The form state is invalid.');

  const crid = state.crid;
  const now = (deps.now ?? Date.now)();
  if (now >= state.exp) return errorRedirect(state.ru, crid, 'unauthorized_client', DESCRIPTIONS.expired);

  const decision = form.decision;
  if (decision === 'accept') {
    const payload = { tid: state.tid, oid: state.oid, acceptedAt: now, exp: now + OPAQUE_BLOB_TTL_MS } as {
      tid: string;
      oid: string;
      upn?: string;
      acceptedAt: number;
      exp: number;
    };
    if (state.upn !== undefined) payload.upn = state.upn;
    const blob = signOpaqueBlob(payload, deps.blobSecret);
    return { kind: 'redirect', location: appendQuery(state.ru, withCrid([['IsAccepted', 'true'], ['OpaqueBlob', blob]], crid)) };
  }
  if (decision === 'decline') {
    if (state.mode === 'azureadjoin') return badRequest('These terms cannot be declined during organization enrollment.');
    return { kind: 'redirect', location: appendQuery(state.ru, withCrid([['IsAccepted', 'false']], crid)) };
  }
  return badRequest('The form has no valid decision.');
}
