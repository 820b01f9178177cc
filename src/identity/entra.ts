// Entra ID (Azure AD) access-token validation — docs/protocol-notes.md "Entra tokens".
//
// Used at enrollment (the BinarySecurityToken of GetPolicies/RST), on the Terms-of-Use page and in
// every management session (Authorization: Bearer / Alert 1224 AADUserToken), so it is on the hot
// path: one jose remote JWKS set per (authority, tenant) is created once and reused, and nothing
// per-call allocates key material.
//
// Order of checks (cheap and untrusted first, so that a junk token can never make us fetch keys):
//   1. shape: three base64url parts, header and payload are JSON objects   -> malformed
//   2. header alg is RS256 and names a kid                                 -> unsupported_alg / malformed
//   3. tid is a GUID and a tenant we serve                                 -> unknown_tenant
//   4. iss is exactly the v1 or v2 issuer for that tenant's cloud          -> bad_issuer
//   5. aud is one of that tenant's audiences                               -> bad_audience
//   6. signature against the tenant's JWKS (refresh on unknown kid)        -> bad_signature / jwks_unavailable
//   7. exp / nbf with clock skew                                           -> expired / not_yet_valid
//   8. oid (and deviceid when required)                                    -> missing_claim
// Nothing here logs; tokens and keys never leave this module except as the returned identity.
import { createHash } from 'node:crypto';
import {
  createRemoteJWKSet,
  createLocalJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';

export type EntraCloud = 'standard' | 'gcc-high';

export const ENTRA_AUTHORITIES: Record<EntraCloud, string> = {
  standard: 'https://login.microsoftonline.com',
  'gcc-high': 'https://login.microsoftonline.us',
};

/** v1 access tokens carry this issuer in every cloud we serve (docs/protocol-notes.md "Entra tokens"). */
const V1_ISSUER_BASE = 'https://sts.windows.net';

export interface EntraTenant {
  tenantId: string;
  cloud: EntraCloud;
  audiences: string[];
}

export interface EntraValidatorOptions {
  /** Connected tenants come from the store. Must resolve undefined for a tenant we do not serve. */
  lookupTenant: (tenantId: string) => Promise<EntraTenant | undefined>;
  /** FENESTRA_ENTRA_AUTHORITY: replaces the authority base URL for every tenant (tests serve JWKS on http://127.0.0.1:port). */
  authorityOverride?: string;
  /** Allowed clock skew for exp/nbf, seconds. Default 120. */
  clockSkewSeconds?: number;
  /** JWKS fetch timeout, ms. Default 5000. */
  fetchTimeoutMs?: number;
  /**
   * Minimum time between two JWKS fetches triggered by an unknown `kid` (jose's cooldown), ms.
   * Default 30 000. Stops a stream of tokens with random kids from hammering the key endpoint.
   * Also used (capped at 5 s) as the back-off after a failed fetch while stale keys are available.
   */
  jwksCooldownMs?: number;
  /** How long fetched keys are considered fresh before a background-free re-fetch, ms. Default 600 000. */
  jwksCacheMaxAgeMs?: number;
  /**
   * When a refresh fails, keep validating with the last good key set for up to this long after
   * its fetch, ms. Default 86 400 000 (24 h). 0 disables (every refresh failure is jwks_unavailable).
   */
  jwksMaxStaleMs?: number;
}

export interface EntraIdentity {
  tenantId: string;
  objectId: string;
  upn?: string;
  deviceId?: string;
  audience: string;
  tokenVersion: 'v1' | 'v2';
  expiresAt: Date;
  cloud: EntraCloud;
}

export type EntraErrorCode =
  | 'malformed'
  | 'unsupported_alg'
  | 'unknown_tenant'
  | 'bad_issuer'
  | 'bad_audience'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  | 'jwks_unavailable';

export class EntraTokenError extends Error {
  public code: EntraErrorCode;
  constructor(code: EntraErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'EntraTokenError';
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** Authority base URL (no trailing slash) for a tenant: the override if set, else its cloud's. */
export function authorityFor(tenant: Pick<EntraTenant, 'cloud'>, override?: string): string {
  const base = override ?? ENTRA_AUTHORITIES[tenant.cloud];
  return base.replace(/\/+$/, '');
}

/** The only issuers accepted for a tenant: v1 `https://sts.windows.net/{tid}/`, v2 `{authority}/{tid}/v2.0`. */
export function expectedIssuers(tenant: Pick<EntraTenant, 'tenantId' | 'cloud'>, override?: string): { v1: string; v2: string } {
  return {
    v1: `${V1_ISSUER_BASE}/${tenant.tenantId}/`,
    v2: `${authorityFor(tenant, override)}/${tenant.tenantId}/v2.0`,
  };
}

/** `{authority}/{tid}/discovery/v2.0/keys` */
export function jwksUriFor(tenant: Pick<EntraTenant, 'tenantId' | 'cloud'>, override?: string): string {
  return `${authorityFor(tenant, override)}/${encodeURIComponent(tenant.tenantId)}/discovery/v2.0/keys`;
}

const B64URL_PART = /^[A-Za-z0-9_-]+$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Entra tokens are a few KB (large group claims go to overage); anything bigger is refused unparsed. */
const MAX_TOKEN_CHARS = 32 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJsonObject(part: string): Record<string, unknown> | undefined {
  if (!B64URL_PART.test(part) || part.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * BinarySecurityToken content -> compact JWS. Accepts base64 of the JWT in the standard or the
 * URL-safe alphabet, padded or not, with whitespace anywhere; or an already-compact JWT.
 */
export function decodeBinarySecurityToken(text: string): string {
  if (typeof text !== 'string') throw new EntraTokenError('malformed', 'binary security token is not a string');
  if (text.length > MAX_TOKEN_CHARS * 2) throw new EntraTokenError('malformed', 'binary security token is too large');
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new EntraTokenError('malformed', 'binary security token is empty');
  // '.' is not in either base64 alphabet, so this cannot be confused with an encoded token.
  if (COMPACT_JWS.test(compact)) return compact;
  const m = /^([A-Za-z0-9+/_-]+)(={0,2})$/.exec(compact);
  if (!m) throw new EntraTokenError('malformed', 'binary security token is not base64');
  const body = m[1];
  const padded = m[2].length > 0;
  if (/[+/]/.test(body) && /[-_]/.test(body)) throw new EntraTokenError('malformed', 'binary security token mixes base64 alphabets');
  if (body.length % 4 === 1 || (padded && (body.length + m[2].length) % 4 !== 0)) {
    throw new EntraTokenError('malformed', 'binary security token has a bad base64 length');
  }
  let decoded: string;
  try {
    decoded = strictUtf8.decode(Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64')).trim();
  } catch {
    throw new EntraTokenError('malformed', 'binary security token is not UTF-8');
  }
  if (!COMPACT_JWS.test(decoded)) throw new EntraTokenError('malformed', 'binary security token does not contain a compact JWT');
  return decoded;
}

/** Cheap shape check (no signature check): 3 parts, header JSON has alg RS256 and a kid. */
export function looksLikeEntraJwt(compact: string): boolean {
  if (typeof compact !== 'string' || compact.length > MAX_TOKEN_CHARS) return false;
  const parts = compact.split('.');
  if (parts.length !== 3 || !B64URL_PART.test(parts[1]) || !B64URL_PART.test(parts[2])) return false;
  const header = decodeJsonObject(parts[0]);
  return header !== undefined && header.alg === 'RS256' && typeof header.kid === 'string' && header.kid.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Validator

interface JwksEntry {
  /** Stable key resolver handed to jwtVerify: created once per (authority, tenant). */
  resolve: JWTVerifyGetKey;
}

interface Counters {
  fetches: number;
  failures: number;
  lastRefresh?: Date;
}

function isKeySelectionError(err: unknown): boolean {
  return err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys;
}

function mapJoseError(err: unknown): EntraTokenError {
  if (err instanceof EntraTokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new EntraTokenError('expired', 'token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' && err.reason === 'check_failed') return new EntraTokenError('not_yet_valid', 'token is not valid yet');
    if (err.reason === 'missing') return new EntraTokenError('missing_claim', `token lacks the ${err.claim} claim`);
    if (err.claim === 'iss') return new EntraTokenError('bad_issuer', 'token issuer is not accepted');
    if (err.claim === 'aud') return new EntraTokenError('bad_audience', 'token audience is not accepted');
    return new EntraTokenError('malformed', `token claim ${err.claim} is invalid`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new EntraTokenError('unsupported_alg', 'token algorithm is not allowed');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new EntraTokenError('bad_signature', 'token signature is invalid');
  if (isKeySelectionError(err)) return new EntraTokenError('bad_signature', 'token signing key is not in the tenant key set');
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JOSENotSupported) {
    return new EntraTokenError('malformed', 'token is malformed');
  }
  return new EntraTokenError('malformed', 'token could not be validated');
}

const VERIFIED_CACHE_MAX = 10_000;

export class EntraValidator {
  private readonly lookupTenant: EntraValidatorOptions['lookupTenant'];
  private readonly override?: string;
  private readonly skew: number;
  private readonly fetchTimeoutMs: number;
  private readonly cooldownMs: number;
  private readonly cacheMaxAgeMs: number;
  private readonly maxStaleMs: number;
  private readonly failureBackoffMs: number;
  private readonly jwks = new Map<string, JwksEntry>();
  private readonly verified = new Map<string, { exp: number; identity: EntraIdentity }>();
  private readonly counters: Counters = { fetches: 0, failures: 0 };

  constructor(opts: EntraValidatorOptions) {
    if (typeof opts?.lookupTenant !== 'function') throw new TypeError('EntraValidator: lookupTenant is required');
    this.lookupTenant = opts.lookupTenant;
    if (opts.authorityOverride !== undefined) {
      const u = new URL(opts.authorityOverride); // throws on garbage: a config error, found at start-up
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError('EntraValidator: authorityOverride must be http(s)');
      this.override = opts.authorityOverride.replace(/\/+$/, '');
    }
    this.skew = nonNegative(opts.clockSkewSeconds, 120, 'clockSkewSeconds');
    this.fetchTimeoutMs = Math.floor(nonNegative(opts.fetchTimeoutMs, 5000, 'fetchTimeoutMs'));
    this.cooldownMs = nonNegative(opts.jwksCooldownMs, 30_000, 'jwksCooldownMs');
    this.cacheMaxAgeMs = nonNegative(opts.jwksCacheMaxAgeMs, 600_000, 'jwksCacheMaxAgeMs');
    this.maxStaleMs = nonNegative(opts.jwksMaxStaleMs, 86_400_000, 'jwksMaxStaleMs');
    this.failureBackoffMs = Math.min(this.cooldownMs, 5000);
  }

  stats(): { jwksFetches: number; jwksFailures: number; lastRefresh?: Date } {
    const out: { jwksFetches: number; jwksFailures: number; lastRefresh?: Date } = {
      jwksFetches: this.counters.fetches,
      jwksFailures: this.counters.failures,
    };
    if (this.counters.lastRefresh) out.lastRefresh = new Date(this.counters.lastRefresh.getTime());
    return out;
  }

  async validate(compactJwt: string, opts?: { requireDeviceId?: boolean }): Promise<EntraIdentity> {
    // 1. Shape — decoded, not trusted.
    if (typeof compactJwt !== 'string' || compactJwt.length === 0) throw new EntraTokenError('malformed', 'token is empty');
    if (compactJwt.length > MAX_TOKEN_CHARS) throw new EntraTokenError('malformed', 'token is too large');
    const parts = compactJwt.split('.');
    if (parts.length !== 3) throw new EntraTokenError('malformed', 'token is not a compact JWS');
    const header = decodeJsonObject(parts[0]);
    const claims = decodeJsonObject(parts[1]);
    if (!header || !claims) throw new EntraTokenError('malformed', 'token header or payload is not base64url JSON');

    // 2. Algorithm: RS256 only (never none, HMAC, PSS, EC, or other RSA hashes).
    if (header.alg !== 'RS256') throw new EntraTokenError('unsupported_alg', 'token algorithm must be RS256');
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw new EntraTokenError('malformed', 'token header has no kid');
    if (!B64URL_PART.test(parts[2])) throw new EntraTokenError('malformed', 'token has no signature');

    // 3. Tenant: must be one we serve (never trust iss/aud/keys of an unknown tenant).
    const tid = claims.tid;
    if (typeof tid !== 'string' || !GUID.test(tid)) throw new EntraTokenError('unknown_tenant', 'token has no valid tid');
    const tenant = await this.lookupTenant(tid);
    if (!tenant || typeof tenant.tenantId !== 'string' || tenant.tenantId.toLowerCase() !== tid.toLowerCase()) {
      throw new EntraTokenError('unknown_tenant', 'token tenant is not connected');
    }
    const cloud = tenant.cloud;
    if (!Object.hasOwn(ENTRA_AUTHORITIES, cloud)) throw new EntraTokenError('unknown_tenant', 'tenant cloud is not supported');

    // 4. Issuer: exactly the v1 or v2 form for this tenant and its cloud.
    const issuers = expectedIssuers(tenant, this.override);
    let tokenVersion: 'v1' | 'v2';
    if (claims.iss === issuers.v2) tokenVersion = 'v2';
    else if (claims.iss === issuers.v1) tokenVersion = 'v1';
    else throw new EntraTokenError('bad_issuer', 'token issuer is not accepted for this tenant');

    // 5. Audience: one of this tenant's configured values.
    const audience = matchAudience(claims.aud, tenant.audiences);
    if (audience === undefined) throw new EntraTokenError('bad_audience', 'token audience is not accepted for this tenant');

    // 6 + 7. Signature (tenant JWKS) and time claims. Windows presents the same token to
    // GetPolicies and RST, and the same user token in every OMA-DM session: a signature already
    // verified is remembered until the token expires (steps 1-5 above still run every time).
    const cacheKey = createHash('sha256').update(compactJwt).digest('base64');
    const cached = this.verified.get(cacheKey);
    if (cached) {
      const nowSec = Date.now() / 1000;
      if (nowSec > cached.exp + this.skew) throw new EntraTokenError('expired', 'token has expired');
      if (opts?.requireDeviceId && cached.identity.deviceId === undefined) {
        throw new EntraTokenError('missing_claim', 'token lacks the deviceid claim');
      }
      return { ...cached.identity, tenantId: tenant.tenantId, audience, tokenVersion, cloud };
    }
    let payload: JWTPayload;
    try {
      // jose's jwtVerify, RS256 only.
      ({ payload } = await jwtVerify(compactJwt, this.resolverFor(tenant), {
        algorithms: ['RS256'],
        issuer: tokenVersion === 'v2' ? issuers.v2 : issuers.v1,
        audience,
        clockTolerance: this.skew,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw mapJoseError(err);
    }

    // 8. Identity claims.
    const oid = payload.oid;
    if (typeof oid !== 'string' || oid.length === 0) throw new EntraTokenError('missing_claim', 'token lacks the oid claim');
    const deviceId = nonEmptyString(payload.deviceid);
    if (opts?.requireDeviceId && deviceId === undefined) throw new EntraTokenError('missing_claim', 'token lacks the deviceid claim');
    const upn = nonEmptyString(payload.upn) ?? nonEmptyString(payload.preferred_username) ?? nonEmptyString(payload.unique_name);

    const identity: EntraIdentity = {
      tenantId: tenant.tenantId,
      objectId: oid,
      audience,
      tokenVersion,
      expiresAt: new Date((payload.exp as number) * 1000),
      cloud,
    };
    if (upn !== undefined) identity.upn = upn;
    if (deviceId !== undefined) identity.deviceId = deviceId;
    this.remember(cacheKey, payload.exp as number, identity);
    return identity;
  }

  /** Bounded memory of verified tokens (oldest forgotten first). */
  private remember(key: string, exp: number, identity: EntraIdentity): void {
    if (this.verified.size >= VERIFIED_CACHE_MAX) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(key, { exp, identity });
  }

  /** One resolver per (authority, tenant), created on first use and kept. */
  private resolverFor(tenant: EntraTenant): JWTVerifyGetKey {
    const uri = jwksUriFor(tenant, this.override);
    let entry = this.jwks.get(uri);
    if (!entry) {
      entry = this.createEntry(uri);
      this.jwks.set(uri, entry);
    }
    return entry.resolve;
  }

  private createEntry(uri: string): JwksEntry {
    const counters = this.counters;
    let lastGoodAt = 0;
    let lastFailureAt = 0;
    let staleSource: JSONWebKeySet | undefined;
    let staleSet: ReturnType<typeof createLocalJWKSet> | undefined;

    const countingFetch = async (url: string, init: Parameters<typeof fetch>[1]): Promise<Response> => {
      counters.fetches++;
      try {
        const res = await fetch(url, init);
        if (res.status !== 200) {
          await res.body?.cancel().catch(() => undefined);
          throw new Error(`JWKS endpoint answered HTTP ${res.status}`);
        }
        const text = await res.text();
        const json: unknown = JSON.parse(text);
        if (!json || typeof json !== 'object' || !Array.isArray((json as { keys?: unknown }).keys)) {
          throw new Error('JWKS endpoint did not return a key set');
        }
        lastGoodAt = Date.now();
        counters.lastRefresh = new Date(lastGoodAt);
        return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
      } catch (err) {
        counters.failures++;
        lastFailureAt = Date.now();
        throw err;
      }
    };

    const remote = createRemoteJWKSet(new URL(uri), {
      timeoutDuration: this.fetchTimeoutMs,
      cooldownDuration: this.cooldownMs,
      cacheMaxAge: this.cacheMaxAgeMs,
      [customFetch]: countingFetch,
    });

    const maxStaleMs = this.maxStaleMs;
    const backoffMs = this.failureBackoffMs;
    /** Last good key set, if recent enough to fall back on during a key-endpoint outage. */
    const stale = (): ReturnType<typeof createLocalJWKSet> | undefined => {
      if (maxStaleMs === 0 || lastGoodAt === 0 || Date.now() - lastGoodAt > maxStaleMs) return undefined;
      const current = remote.jwks();
      if (!current) return undefined;
      if (current !== staleSource) {
        staleSource = current;
        staleSet = createLocalJWKSet(current);
      }
      return staleSet;
    };

    const unavailable = () => new EntraTokenError('jwks_unavailable', 'tenant signing keys could not be fetched');

    const resolve = async (protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput) => {
      // Right after a failed fetch, don't make every caller wait for another timeout: use the
      // last good keys if we have them.
      if (lastFailureAt !== 0 && Date.now() - lastFailureAt < backoffMs && !remote.fresh) {
        const fallback = stale();
        if (fallback) return useStale(fallback, protectedHeader, token);
      }
      try {
        return await remote(protectedHeader, token);
      } catch (err) {
        if (isKeySelectionError(err)) throw err; // the token's kid is not in a fresh key set
        const fallback = stale();
        if (fallback) return useStale(fallback, protectedHeader, token);
        throw unavailable();
      }
    };

    const useStale = async (set: ReturnType<typeof createLocalJWKSet>, protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput) => {
      try {
        return await set(protectedHeader, token);
      } catch {
        // Unknown kid and we could not refresh: may be a newly rotated key, so not "bad credentials".
        throw unavailable();
      }
    };

    return { resolve: resolve as JWTVerifyGetKey };
  }
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`EntraValidator: ${name} must be a non-negative number`);
  return value;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function matchAudience(aud: unknown, allowed: readonly string[]): string | undefined {
  if (!Array.isArray(allowed) || allowed.length === 0) return undefined;
  if (typeof aud === 'string') return allowed.includes(aud) ? aud : undefined;
  if (Array.isArray(aud)) {
    for (const a of aud) if (typeof a === 'string' && allowed.includes(a)) return a;
  }
  return undefined;
}
