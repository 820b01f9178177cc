// verifyRs256Jwt is jwtVerify restricted to RS256 with the caller's claim checks: a good token
// gives its payload; another algorithm, a foreign key or a wrong claim is refused with jose's error.
import t from 'tap';
import { SignJWT, errors, generateKeyPair, type JWTClaimVerificationOptions, type JWTVerifyGetKey } from 'jose';
import { verifyRs256Jwt } from '../../src/identity/jwt-rs256.js';

const ISS = 'https://login.example/t/v2.0';
const AUD = 'https://mdm.example.com';
const CLAIMS: JWTClaimVerificationOptions = { issuer: ISS, audience: AUD, clockTolerance: 120, requiredClaims: ['exp'] };

const rsa = await generateKeyPair('RS256');
const pss = await generateKeyPair('PS256');
const other = await generateKeyPair('RS256');
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, alg = 'RS256', key = rsa.privateKey): Promise<string> {
  return new SignJWT({ iss: ISS, aud: AUD, exp: now() + 600, oid: 'o', ...claims }).setProtectedHeader({ alg, kid: 'k1' }).sign(key);
}
const keyFor = (key: CryptoKey): JWTVerifyGetKey => async () => key;

t.test('a good RS256 token gives its payload', async (t) => {
  t.match(await verifyRs256Jwt(await sign({ upn: 'a@b' }), keyFor(rsa.publicKey), CLAIMS), { iss: ISS, aud: AUD, oid: 'o', upn: 'a@b' });
});

t.test('only RS256', async (t) => {
  await t.rejects(verifyRs256Jwt(await sign({}, 'PS256', pss.privateKey), keyFor(pss.publicKey), CLAIMS), errors.JOSEAlgNotAllowed);
});

t.test('the signature and the claims are checked', async (t) => {
  await t.rejects(verifyRs256Jwt(await sign({}, 'RS256', other.privateKey), keyFor(rsa.publicKey), CLAIMS), errors.JWSSignatureVerificationFailed);
  const claimFailed = errors.JWTClaimValidationFailed;
  await t.rejects(verifyRs256Jwt(await sign({ iss: 'https://evil/' }), keyFor(rsa.publicKey), CLAIMS), claimFailed, 'issuer');
  await t.rejects(verifyRs256Jwt(await sign({ aud: 'other' }), keyFor(rsa.publicKey), CLAIMS), claimFailed, 'audience');
  await t.rejects(verifyRs256Jwt(await sign({ exp: now() - 200 }), keyFor(rsa.publicKey), CLAIMS), errors.JWTExpired, 'expired beyond the skew');
  t.ok(await verifyRs256Jwt(await sign({ exp: now() - 60 }), keyFor(rsa.publicKey), CLAIMS), 'expired within the skew');
  const noExp = await new SignJWT({ iss: ISS, aud: AUD }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
  await t.rejects(verifyRs256Jwt(noExp, keyFor(rsa.publicKey), CLAIMS), claimFailed, 'exp required');
});
