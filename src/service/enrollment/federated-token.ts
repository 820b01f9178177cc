// The token the federated sign-in page posts to Windows as `wresult` (MS-MDE2 §3.2, rule 14 of
// the spec notes) and the RST then carries as its DeviceEnrollmentUserToken: a compact JWS that
// fenestra signs (HS256 under a key derived from the server secret), short-lived and good once.
//
//   header  {alg: HS256, typ: fenestra-enroll+jwt}   (no kid: never taken for an Entra token)
//   claims  iss fenestra, aud urn:fenestra:enrollment, sub the user (Entra object id, or the
//           on-premises account name), jti a one-time id, att the sign-in attempt it ends,
//           iat / exp (FEDERATED_TOKEN_TTL_SECONDS), and who: kind 'entra' (tid, oid, upn) or
//           'onpremise' (username).
// Windows sends it in GetPolicies and RST; only the RST consumes its jti (store: enrollment_tokens_used).
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';

export const FEDERATED_TOKEN_ISSUER = 'fenestra';
export const FEDERATED_TOKEN_AUDIENCE = 'urn:fenestra:enrollment';
export const FEDERATED_TOKEN_TYPE = 'fenestra-enroll+jwt';
/** Minutes enough to go from the page's auto-post through GetPolicies to the RST. */
export const FEDERATED_TOKEN_TTL_SECONDS = 10 * 60;

export type FederatedUser = { kind: 'entra'; tenantId: string; objectId: string; upn: string } | { kind: 'onpremise'; username: string };

export interface FederatedClaims {
  user: FederatedUser;
  jti: string;
  attempt: string;
  expiresAt: Date;
}

export type FederatedTokenErrorCode = 'malformed' | 'bad_signature' | 'expired' | 'bad_claims';

export class FederatedTokenError extends Error {
  readonly code: FederatedTokenErrorCode;
  constructor(code: FederatedTokenErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'FederatedTokenError';
  }
}

/** Our token rather than an Entra one: its protected header names our type. */
export function looksLikeFederatedToken(compact: string): boolean {
  const dot = compact.indexOf('.');
  if (dot <= 0 || dot > 512) return false;
  try {
    const header = JSON.parse(Buffer.from(compact.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    return typeof header === 'object' && header !== null && (header as { typ?: unknown }).typ === FEDERATED_TOKEN_TYPE;
  } catch {
    return false;
  }
}

export async function issueFederatedToken(key: Buffer, user: FederatedUser, attempt: string, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const sub = user.kind === 'entra' ? user.objectId : user.username;
  const who = user.kind === 'entra' ? { kind: user.kind, tid: user.tenantId, oid: user.objectId, upn: user.upn } : { kind: user.kind, username: user.username };
  return new SignJWT({ ...who, att: attempt })
    .setProtectedHeader({ alg: 'HS256', typ: FEDERATED_TOKEN_TYPE })
    .setIssuer(FEDERATED_TOKEN_ISSUER)
    .setAudience(FEDERATED_TOKEN_AUDIENCE)
    .setSubject(sub)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + FEDERATED_TOKEN_TTL_SECONDS)
    .sign(key);
}

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;

/** Signature, issuer, audience, lifetime (no skew: we issued it) and the claims' shape. */
export async function verifyFederatedToken(key: Buffer, compact: string, now: Date): Promise<FederatedClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(compact, key, {
      algorithms: ['HS256'],
      typ: FEDERATED_TOKEN_TYPE,
      issuer: FEDERATED_TOKEN_ISSUER,
      audience: FEDERATED_TOKEN_AUDIENCE,
      currentDate: now,
      requiredClaims: ['exp', 'jti', 'sub'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new FederatedTokenError('expired', 'the sign-in token has expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      throw new FederatedTokenError('bad_signature', 'the sign-in token is not signed by this server');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new FederatedTokenError('bad_claims', `the sign-in token's ${err.claim} claim is not valid`);
    throw new FederatedTokenError('malformed', 'the sign-in token is not a token of this server');
  }
  const { jti, att, exp, sub } = payload;
  if (!text(jti) || !text(att) || typeof exp !== 'number') throw new FederatedTokenError('bad_claims', 'the sign-in token lacks its one-time id or attempt');
  let user: FederatedUser;
  if (payload.kind === 'entra' && text(payload.tid) && text(payload.oid) && text(payload.upn) && payload.oid === sub) {
    user = { kind: 'entra', tenantId: payload.tid, objectId: payload.oid, upn: payload.upn };
  } else if (payload.kind === 'onpremise' && text(payload.username) && payload.username === sub) {
    user = { kind: 'onpremise', username: payload.username };
  } else {
    throw new FederatedTokenError('bad_claims', 'the sign-in token does not name its user');
  }
  return { user, jti, attempt: att, expiresAt: new Date(exp * 1000) };
}
