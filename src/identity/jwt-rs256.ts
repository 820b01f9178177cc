// RS256 JWT verification with the signature checked by node:crypto on the key jose selected.
//
// jose's jwtVerify checks the signature through WebCrypto, whose per-call job and promise
// machinery costs several times the RSA operation itself (~80 µs vs ~25 µs CPU for RSA-2048).
// For the tokens Entra issues — protected header without `crit`/`b64`, a public
// RSASSA-PKCS1-v1_5/SHA-256 CryptoKey of at least 2048 bits from the JWKS — this module checks
// the same signature over the same bytes synchronously, then lets jose validate the claims set
// with the same options (UnsecuredJWT.decode runs jose's claims validation on the payload).
// Anything else — other header parameters, another kind of key, a part jose's base64url decoder
// refuses — goes to jwtVerify unchanged, so results and errors are jose's in every case.
import { KeyObject, verify } from 'node:crypto';
import {
  UnsecuredJWT,
  base64url,
  errors as joseErrors,
  jwtVerify,
  type JWTClaimVerificationOptions,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

const NONE_HEADER = base64url.encode(JSON.stringify({ alg: 'none' }));
const B64URL = /^[A-Za-z0-9_-]*$/;

/** node:crypto view of each WebCrypto key jose hands out (keys live as long as their JWKS). */
const keyObjects = new WeakMap<object, KeyObject>();

interface RsaCryptoKey {
  type: string;
  usages: string[];
  algorithm: { name?: string; hash?: { name?: string }; modulusLength?: unknown };
}

/** A key jose would accept for RS256 verification as it is (see jose's checkCryptoKey). */
function fastKey(key: unknown): KeyObject | undefined {
  if (!(key instanceof CryptoKey)) return undefined;
  const k = key as unknown as RsaCryptoKey;
  const alg = k.algorithm;
  if (k.type !== 'public' || alg.name !== 'RSASSA-PKCS1-v1_5' || alg.hash?.name !== 'SHA-256') return undefined;
  if (!k.usages.includes('verify') || typeof alg.modulusLength !== 'number' || alg.modulusLength < 2048) return undefined;
  let ko = keyObjects.get(key);
  if (!ko) {
    ko = KeyObject.from(key);
    keyObjects.set(key, ko);
  }
  return ko;
}

function decodes(part: string): Buffer | undefined {
  try {
    return Buffer.from(base64url.decode(part));
  } catch {
    return undefined;
  }
}

/**
 * Verifies compact JWS `jwt` (alg RS256, already shape-checked by the caller) with the key
 * `getKey` selects and validates its claims with `claims`; returns the payload. Throws jose's
 * errors, exactly as jwtVerify(jwt, getKey, { algorithms: ['RS256'], ...claims }) would.
 */
export async function verifyRs256Jwt(jwt: string, getKey: JWTVerifyGetKey, claims: JWTClaimVerificationOptions): Promise<JWTPayload> {
  const options = { algorithms: ['RS256'], ...claims };
  const parts = jwt.split('.');
  // Base64url text only, and every part decodable by jose's own decoder.
  const ascii = parts.length === 3 && parts.every((p) => B64URL.test(p));
  const headerBytes = ascii && decodes(parts[1]) ? decodes(parts[0]) : undefined;
  let header: Record<string, unknown> | undefined;
  try {
    header = headerBytes && JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    header = undefined;
  }
  const plain =
    header !== undefined &&
    header !== null &&
    typeof header === 'object' &&
    !Array.isArray(header) &&
    header.alg === 'RS256' &&
    !Object.hasOwn(header, 'crit') &&
    !Object.hasOwn(header, 'b64') &&
    claims.typ === undefined; // the claims check below does not see the real header
  if (!plain) return (await jwtVerify(jwt, getKey, options)).payload;

  const [protectedPart, payloadPart, signaturePart] = parts;
  const key = await getKey(header as never, { payload: payloadPart, signature: signaturePart, protected: protectedPart });
  const keyObject = fastKey(key);
  const signature = decodes(signaturePart);
  // Unusual key or undecodable signature: jose decides (with the key already selected).
  if (!keyObject || !signature) return (await jwtVerify(jwt, key as never, options)).payload;

  let ok: boolean;
  try {
    ok = verify('sha256', Buffer.from(`${protectedPart}.${payloadPart}`, 'latin1'), keyObject, signature);
  } catch (cause) {
    throw new joseErrors.JWSSignatureVerificationFailed(undefined, { cause });
  }
  if (!ok) throw new joseErrors.JWSSignatureVerificationFailed();
  return UnsecuredJWT.decode(`${NONE_HEADER}.${payloadPart}.`, claims).payload;
}
