// verifyRs256Jwt must give jwtVerify's result — the payload, or the same error class and
// message — for good tokens and for every way a token or key can be wrong.
import t from 'tap';
import * as crypto from 'node:crypto';
import { SignJWT, base64url, generateKeyPair, importJWK, exportJWK, jwtVerify, type JWTClaimVerificationOptions, type JWTVerifyGetKey } from 'jose';
import { verifyRs256Jwt } from '../../src/identity/jwt-rs256.js';

const ISS = 'https://login.example/t/v2.0';
const AUD = 'https://mdm.example.com';
const CLAIMS: JWTClaimVerificationOptions = { issuer: ISS, audience: AUD, clockTolerance: 120, requiredClaims: ['exp'] };

type Outcome = { ok: true; payload: unknown } | { ok: false; name: string; message: string };

async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, payload: await p };
  } catch (e) {
    return { ok: false, name: (e as Error).constructor.name, message: (e as Error).message };
  }
}

const rsa = await generateKeyPair('RS256');
const rsaOther = await generateKeyPair('RS256');

async function sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key = rsa.privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISS, aud: AUD, exp: now + 600, iat: now, oid: 'o', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header })
    .sign(key);
}

async function same(t: Tap, jwt: string, getKey: JWTVerifyGetKey, what: string, claims = CLAIMS): Promise<Outcome> {
  const ref = await outcome(jwtVerify(jwt, getKey, { algorithms: ['RS256'], ...claims }).then((r) => r.payload));
  const got = await outcome(verifyRs256Jwt(jwt, getKey, claims));
  t.same(got, ref, what);
  return got;
}
type Tap = Pick<typeof t, 'same'>;

/** Signs header.payload natively (for tokens jose refuses to produce). */
function rawSign(header: Record<string, unknown>, claims: Record<string, unknown>, key: crypto.KeyObject): string {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
const exp = () => Math.floor(Date.now() / 1000) + 600;

const byKid: JWTVerifyGetKey = async () => rsa.publicKey;

t.test('good tokens verify with the same payload', async (t) => {
  const r = await same(t, await sign({}), byKid, 'plain');
  t.ok(r.ok);
  await same(t, await sign({ aud: ['x', AUD] }), byKid, 'audience array');
  await same(t, await sign({}, { typ: 'JWT', x5t: 'abc' }), byKid, 'other header parameters');
});

t.test('claims: issuer, audience, expiry, not-before, required, typ', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  await same(t, await sign({ iss: 'https://evil/' }), byKid, 'issuer');
  await same(t, await sign({ aud: 'other' }), byKid, 'audience');
  await same(t, await sign({ exp: now - 200 }), byKid, 'expired');
  await same(t, await sign({ exp: now - 60 }), byKid, 'expired within skew');
  await same(t, await sign({ nbf: now + 600 }), byKid, 'not yet valid');
  await same(t, await sign({ exp: 'soon' }), byKid, 'exp not a number');
  await same(t, await sign({ iat: 'then' }), byKid, 'iat not a number');
  const noExp = await new SignJWT({ iss: ISS, aud: AUD }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
  await same(t, noExp, byKid, 'exp missing');
  const jwt = await sign({}, { typ: 'JWT' });
  await same(t, jwt, byKid, 'typ required and present', { ...CLAIMS, typ: 'JWT' });
  await same(t, await sign({}), byKid, 'typ required and absent', { ...CLAIMS, typ: 'at+jwt' });
});

t.test('signatures: tampered, foreign key, wrong length, undecodable', async (t) => {
  const jwt = await sign({});
  const [h, p, s] = jwt.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[10] ^= 1;
  await same(t, `${h}.${p}.${sig.toString('base64url')}`, byKid, 'bit flipped');
  await same(t, `${h}.${base64url.encode(JSON.stringify({ iss: ISS, aud: AUD, exp: 9999999999, oid: 'x' }))}.${s}`, byKid, 'payload swapped');
  await same(t, await sign({}, {}, rsaOther.privateKey), byKid, 'foreign key');
  await same(t, `${h}.${p}.${s.slice(0, 40)}`, byKid, 'short signature');
  await same(t, `${h}.${p}.${s}A`, byKid, 'signature of bad base64url length');
  await same(t, `${h}.${p}.`, byKid, 'empty signature');
  await same(t, `${h}.${p}.${s}!`, byKid, 'signature with a character outside base64url');
  await same(t, `${h}.${p}A.${s}`, byKid, 'payload of bad base64url length');
});

t.test('headers jose treats specially go to jose', async (t) => {
  await same(t, await sign({}, { crit: ['b64'], b64: true }), byKid, 'crit b64 true');
  const priv = crypto.KeyObject.from(rsa.privateKey as never);
  await same(t, rawSign({ alg: 'RS256', crit: ['exp-x'], 'exp-x': 1 }, { iss: ISS, aud: AUD, exp: exp() }, priv), byKid, 'unknown critical parameter');
  await same(t, rawSign({ alg: 'RS256', crit: ['b64'], b64: false }, { iss: ISS, aud: AUD, exp: exp() }, priv), byKid, 'crit b64 false');
  const h = base64url.encode(JSON.stringify({ alg: 'RS256', b64: 'no' }));
  const jwt = await sign({});
  await same(t, `${h}.${jwt.split('.')[1]}.${jwt.split('.')[2]}`, byKid, 'b64 without crit');
  const hs = base64url.encode(JSON.stringify({ alg: 'HS256' }));
  await same(t, `${hs}.${jwt.split('.')[1]}.${jwt.split('.')[2]}`, byKid, 'another alg');
  await same(t, `${base64url.encode('[1]')}.${jwt.split('.')[1]}.${jwt.split('.')[2]}`, byKid, 'header not an object');
  await same(t, 'a.b', byKid, 'two parts');
});

t.test('keys jose would refuse or treat otherwise', async (t) => {
  const jwt = await sign({});
  const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const smallJwt = rawSign({ alg: 'RS256' }, { iss: ISS, aud: AUD, exp: exp() }, small.privateKey);
  const smallCk = await crypto.webcrypto.subtle.importKey('jwk', small.publicKey.export({ format: 'jwk' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
  await same(t, smallJwt, async () => smallCk as never, '1024-bit key');
  const jwk = await exportJWK(rsa.publicKey);
  const pss = await crypto.webcrypto.subtle.importKey('jwk', { ...jwk, alg: undefined }, { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['verify']);
  await same(t, jwt, async () => pss as never, 'RSA-PSS CryptoKey');
  const sha384 = await crypto.webcrypto.subtle.importKey('jwk', { ...jwk, alg: undefined }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }, true, ['verify']);
  await same(t, jwt, async () => sha384 as never, 'SHA-384 CryptoKey');
  await same(t, jwt, async () => rsa.privateKey, 'private key');
  await same(t, jwt, async () => crypto.KeyObject.from(rsa.publicKey as never), 'KeyObject');
  await same(t, jwt, async () => (await importJWK(jwk, 'RS256')) as never, 'imported JWK');
  await same(t, jwt, async () => jwk as never, 'JWK object');
  await same(t, jwt, async () => {
    throw new Error('no key for you');
  }, 'resolver throws');
});
