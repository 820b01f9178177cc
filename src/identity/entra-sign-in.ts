// Console sign-in with Entra ID: OpenID Connect authorization code flow with PKCE (S256), through
// openid-client (discovery, the token request, ID token validation: signature against the
// tenant's keys, issuer = the tenant, audience = our client id, nonce, lifetime).
//
// start() gives the authorize URL and what the browser must bring back (state, nonce, PKCE
// verifier, where to go next), sealed by the caller into a short-lived cookie (sealPending);
// finish() checks the callback against it, redeems the code and maps the ID token's `roles` and
// `groups` claims to a console role. Every refusal is an EntraSignInError whose code says what an
// administrator can do about it; its message never holds a token.
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import type { AdminRole } from '../domain/admin.js';
import { roleFromClaims, type EntraRoleMapping } from './entra-roles.js';
import { decrypt, encrypt } from './secret-box.js';

export interface EntraSignInSettings {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Base URL of the authority; the issuer is <authority>/<tenant>/v2.0. */
  authority: string;
  /** Allow a plain-HTTP authority (a local fake provider; tests only). */
  insecureHttp: boolean;
  redirectUri: string;
  roles: EntraRoleMapping;
  /** Seconds for each request to Entra. Default 10. */
  timeoutSeconds?: number;
}

/** What the browser carries from start() to finish(), sealed in a cookie. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  /** Console path to land on after sign-in. */
  next: string;
  /** ms since epoch after which the callback is refused. */
  expires: number;
}

export interface ExternalIdentity {
  issuer: string;
  subject: string;
  username: string;
  displayName?: string;
  role: AdminRole;
}

export type EntraSignInErrorCode =
  /** Entra answered with an error (the user cancelled, or is not assigned to the app, ...). */
  | 'denied'
  /** No pending sign-in, or its state differs from the callback's (another tab, expired, tampered). */
  | 'state'
  /** Entra could not be reached or answered something unusable. */
  | 'unavailable'
  /** Entra refused to redeem the code (wrong secret, redirect URI, PKCE verifier, code used twice). */
  | 'code_refused'
  /** The ID token failed validation (signature, issuer, audience, nonce, lifetime) or lacks a claim. */
  | 'token_invalid'
  /** The token lists too many groups to carry them (overage): app roles are needed. */
  | 'groups_overage'
  /** None of the user's app roles or groups is mapped to a console role. */
  | 'no_role';

export class EntraSignInError extends Error {
  readonly code: EntraSignInErrorCode;
  readonly detail?: string;
  constructor(
    code: EntraSignInErrorCode,
    message: string,
    /** For 'denied': Entra's error code (and AADSTS number when it gave one); for 'no_role' and 'groups_overage': the user name. */
    detail?: string,
  ) {
    super(message);
    this.code = code;
    this.detail = detail;
    this.name = 'EntraSignInError';
  }
}

/** Where Entra sends the browser back, under the console's address. */
export const ENTRA_CALLBACK_PATH = '/console/auth/entra/callback';

/** A pending sign-in is good for this long: the time to type a password and approve MFA. */
export const PENDING_TTL_MS = 10 * 60 * 1000;

const PENDING_PREFIX = 'entra-sign-in:';

/** The pending sign-in, encrypted and authenticated (AES-256-GCM) under `key`: the browser can neither read nor change it. */
export function sealPending(p: PendingSignIn, key: Buffer): string {
  return encrypt(PENDING_PREFIX + JSON.stringify(p), key);
}

/** The pending sign-in from its sealed form, or undefined when it is not ours, altered or expired. */
export function openPending(sealed: string | undefined, key: Buffer, now: number): PendingSignIn | undefined {
  if (!sealed || sealed.length > 4096) return undefined;
  let text: string;
  try {
    text = decrypt(sealed, key);
  } catch {
    return undefined;
  }
  if (!text.startsWith(PENDING_PREFIX)) return undefined;
  const p = JSON.parse(text.slice(PENDING_PREFIX.length)) as PendingSignIn;
  return typeof p.expires === 'number' && p.expires > now ? p : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class EntraSignIn {
  private config?: Promise<oidc.Configuration>;
  private readonly settings: EntraSignInSettings;

  constructor(settings: EntraSignInSettings) {
    this.settings = settings;
  }

  /** <authority>/<tenant>/v2.0: the only issuer whose tokens are accepted. */
  get issuer(): string {
    return `${this.settings.authority}/${this.settings.tenantId}/v2.0`;
  }

  /** The provider's metadata, discovered once (again after a failure). */
  private configuration(): Promise<oidc.Configuration> {
    const s = this.settings;
    this.config ??= oidc
      .discovery(new URL(this.issuer), s.clientId, { client_secret: s.clientSecret }, oidc.ClientSecretPost(s.clientSecret), {
        execute: s.insecureHttp ? [oidc.allowInsecureRequests] : [],
        timeout: s.timeoutSeconds ?? 10,
      })
      .catch((err: unknown) => {
        this.config = undefined;
        throw new EntraSignInError('unavailable', `Entra ID discovery at ${this.issuer} failed: ${reason(err)}`);
      });
    return this.config;
  }

  /** The authorize URL to send the browser to, and the pending sign-in to keep until it comes back. */
  async start(next: string, now: number): Promise<{ url: URL; pending: PendingSignIn }> {
    const config = await this.configuration();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next,
      expires: now + PENDING_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: 'openid profile',
      response_mode: 'query',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  /** Checks the callback's query against the pending sign-in, redeems the code, validates the ID token and maps the role. */
  async finish(query: URLSearchParams, pending: PendingSignIn | undefined): Promise<ExternalIdentity> {
    const raw = query.get('error');
    if (raw) {
      // Only Entra's error code and AADSTS number: the description, and an `error` that is no
      // OAuth error code, are text anyone can put in a link.
      const error = /^[A-Za-z0-9_.-]{1,64}$/.test(raw) ? raw : 'unrecognised_error';
      const aadsts = /AADSTS\d+/.exec(query.get('error_description') ?? '')?.[0];
      throw new EntraSignInError('denied', `Entra ID refused the sign-in: ${error}${aadsts ? ` (${aadsts})` : ''}`, aadsts ? `${error}, ${aadsts}` : error);
    }
    const state = query.get('state');
    if (!pending || !state || !safeEqual(state, pending.state)) {
      throw new EntraSignInError(
        'state',
        pending ? 'the state of the callback is not the one this browser was given' : 'no sign-in was started in this browser, or it expired',
      );
    }
    const config = await this.configuration();
    const callback = new URL(this.settings.redirectUri);
    callback.search = query.toString();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError) throw new EntraSignInError('code_refused', `Entra ID refused to redeem the code: ${err.error}`);
      if (err instanceof oidc.ClientError) throw new EntraSignInError('token_invalid', `the ID token is not valid: ${reason(err)}`);
      throw new EntraSignInError('unavailable', `the token request to Entra ID failed: ${reason(err)}`);
    }
    if (!claims) throw new EntraSignInError('token_invalid', 'Entra ID returned no ID token');
    if (str(claims.tid) !== undefined && str(claims.tid)!.toLowerCase() !== this.settings.tenantId) {
      throw new EntraSignInError('token_invalid', 'the ID token is from another tenant');
    }
    const subject = str(claims.oid) ?? claims.sub;
    const username = str(claims.preferred_username);
    if (!username) throw new EntraSignInError('token_invalid', 'the ID token has no preferred_username (the profile scope was not granted)');
    const role = roleFromClaims(this.settings.roles, claims);
    if (!role) {
      // More groups than a token holds: Entra leaves `groups` out and points at Graph instead.
      const overage = claims.hasgroups === true || (typeof claims._claim_names === 'object' && claims._claim_names !== null && 'groups' in claims._claim_names);
      if (overage && claims.roles === undefined) {
        throw new EntraSignInError('groups_overage', `${username} is in too many groups for the ID token to list them`, username);
      }
      throw new EntraSignInError('no_role', `none of the app roles or groups of ${username} is mapped to a console role`, username);
    }
    return { issuer: this.issuer, subject, username, displayName: str(claims.name), role };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Why a request or check failed, in words that hold no token. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`.slice(0, 300);
}
