// Terms-of-Use endpoint (docs/protocol-notes.md "Terms of use"): Windows opens
//   GET {ToU URL}?redirect_uri=ms-appx-web://…&client-request-id=<guid>&api-version=1.0[&mode=azureadjoin]
// with `Authorization: Bearer <Entra access token>`. We validate the token, show the terms, and
// the page's Accept/Decline form POSTs back to us; we then 302 to
//   redirect_uri?IsAccepted=true&OpaqueBlob=<sealed>   or   redirect_uri?IsAccepted=false
// The POST carries no token (the webview does not resend it), so the identity travels in a
// short-lived HMAC-sealed `state` field written into the form by the GET.
//
// Rules kept here (the HTTP plugin adapts, and renders the page: http/terms-of-use-page.ts):
// * Only ms-appx-web:// and ms-aadj-redir:// targets are ever redirected to; anything else is a 400.
// * api-version must be 1.0, else error=invalid_request.
// * Missing/invalid token or unconnected tenant -> error=unauthorized_client; key endpoint or
//   internal failure -> error=server_error.
// * Decline is shown, and accepted, only outside Entra join (mode=azureadjoin).
// * client-request-id is echoed on every redirect.
import { EntraTokenError, type EntraValidator, type EntraIdentity } from '../../identity/entra.js';
import { OPAQUE_BLOB_TTL_MS, OpaqueBlobError, openHmac, sealHmac, signOpaqueBlob } from '../../identity/opaque-blob.js';

export interface TermsOfUseDeps {
  validator: EntraValidator;
  blobSecret: Buffer;
  /** ms since epoch; default Date.now */
  now?: () => number;
  /** bodyHtml is trusted, admin-supplied HTML (not escaped); title is escaped. */
  termsText?: { title: string; bodyHtml: string };
}

/** What the terms page shows and carries; the HTTP layer renders it. */
export interface TermsPage {
  /** Plain text (escaped when rendered). */
  title: string;
  /** Trusted HTML, as in TermsOfUseDeps.termsText. */
  bodyHtml: string;
  upn?: string;
  /** Sealed state the form posts back. */
  state: string;
  /** Decline is offered only outside Entra join. */
  showDecline: boolean;
}

export type TermsOfUseOutcome =
  { kind: 'page'; status: number; page: TermsPage } | { kind: 'redirect'; location: string } | { kind: 'error'; status: number; message: string };

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

function withCrid(params: Array<[string, string]>, crid: string | undefined): Array<[string, string]> {
  if (crid !== undefined) params.push(['client-request-id', crid]);
  return params;
}

function errorRedirect(ru: string, crid: string | undefined, error: string, description: string): TermsOfUseOutcome {
  return {
    kind: 'redirect',
    location: appendQuery(
      ru,
      withCrid(
        [
          ['error', error],
          ['error_description', description],
        ],
        crid,
      ),
    ),
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
// Handlers

/** GET: validate the request and the Entra token, and say what the terms page shows. */
export async function handleTermsOfUse(
  deps: TermsOfUseDeps,
  req: { query: Record<string, string | undefined>; authorization?: string },
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
  const page: TermsPage = {
    title: terms.title,
    bodyHtml: terms.bodyHtml,
    upn: identity.upn,
    state: sealHmac(STATE_PURPOSE, state, deps.blobSecret),
    showDecline: !join,
  };
  return { kind: 'page', status: 200, page };
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
    return {
      kind: 'redirect',
      location: appendQuery(
        state.ru,
        withCrid(
          [
            ['IsAccepted', 'true'],
            ['OpaqueBlob', blob],
          ],
          crid,
        ),
      ),
    };
  }
  if (decision === 'decline') {
    if (state.mode === 'azureadjoin') return badRequest('These terms cannot be declined during organization enrollment.');
    return { kind: 'redirect', location: appendQuery(state.ru, withCrid([['IsAccepted', 'false']], crid)) };
  }
  return badRequest('The form has no valid decision.');
}
