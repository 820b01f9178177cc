import t from 'tap';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  EntraValidator,
  EntraTokenError,
  ENTRA_AUTHORITIES,
  expectedIssuers,
  jwksUriFor,
  type EntraTenant,
  type EntraValidatorOptions,
} from '../../src/identity/entra.js';
import { startFakeEntra, type FakeEntra } from '../helpers/entra.js';

const TID_A = '11111111-1111-4111-8111-111111111111';
const TID_B = '22222222-2222-4222-8222-222222222222';
const TID_GOV = '33333333-3333-4333-8333-333333333333';
const TID_UNKNOWN = '44444444-4444-4444-8444-444444444444';
const APP_URI = 'https://mdm.example.com';
const CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

const TENANTS: Record<string, EntraTenant> = {
  [TID_A]: { tenantId: TID_A, cloud: 'standard', audiences: [APP_URI, CLIENT_ID] },
  [TID_B]: { tenantId: TID_B, cloud: 'standard', audiences: [APP_URI, CLIENT_ID] },
  [TID_GOV]: { tenantId: TID_GOV, cloud: 'gcc-high', audiences: [APP_URI, CLIENT_ID] },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

let entra: FakeEntra;
t.before(async () => {
  entra = await startFakeEntra();
});
t.teardown(async () => {
  await entra.close();
});

function validator(extra: Partial<EntraValidatorOptions> = {}, lookups: string[] = []): EntraValidator {
  return new EntraValidator({
    lookupTenant: async (tid) => {
      lookups.push(tid);
      return TENANTS[tid];
    },
    authorityOverride: entra.authority,
    ...extra,
  });
}

async function rejectsWith(t: Tap, p: Promise<unknown>, code: string, msg?: string) {
  await t.rejects(p, { name: 'EntraTokenError', code }, msg ?? code);
}
type Tap = Pick<typeof t, 'rejects'>;

t.test('expectedIssuers / jwksUriFor without and with the override', async (t) => {
  t.same(expectedIssuers(TENANTS[TID_A]), {
    v1: `https://sts.windows.net/${TID_A}/`,
    v2: `https://login.microsoftonline.com/${TID_A}/v2.0`,
  });
  t.same(expectedIssuers(TENANTS[TID_GOV]), {
    v1: `https://sts.windows.net/${TID_GOV}/`,
    v2: `https://login.microsoftonline.us/${TID_GOV}/v2.0`,
  });
  t.equal(ENTRA_AUTHORITIES['gcc-high'], 'https://login.microsoftonline.us');
  t.same(expectedIssuers(TENANTS[TID_GOV], 'http://127.0.0.1:9999/'), {
    v1: `https://sts.windows.net/${TID_GOV}/`,
    v2: `http://127.0.0.1:9999/${TID_GOV}/v2.0`,
  });
  t.equal(jwksUriFor(TENANTS[TID_A]), `https://login.microsoftonline.com/${TID_A}/discovery/v2.0/keys`);
  t.equal(jwksUriFor(TENANTS[TID_GOV]), `https://login.microsoftonline.us/${TID_GOV}/discovery/v2.0/keys`);
  t.equal(jwksUriFor(TENANTS[TID_GOV], 'http://x:1'), `http://x:1/${TID_GOV}/discovery/v2.0/keys`);
});

t.test('valid v2 token', async (t) => {
  const v = validator();
  const token = await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, oid: 'oid-1', preferred_username: 'alice@contoso.com', expiresInSec: 600 });
  const id = await v.validate(token);
  t.equal(id.tenantId, TID_A);
  t.equal(id.objectId, 'oid-1');
  t.equal(id.upn, 'alice@contoso.com');
  t.equal(id.audience, CLIENT_ID);
  t.equal(id.tokenVersion, 'v2');
  t.equal(id.cloud, 'standard');
  t.equal(id.deviceId, undefined);
  t.ok(Math.abs(id.expiresAt.getTime() - (Date.now() + 600_000)) < 5000, 'expiresAt from exp');
});

t.test('valid v1 token (sts.windows.net issuer, upn claim, deviceid)', async (t) => {
  const v = validator();
  const token = await entra.mintToken({
    tid: TID_A,
    aud: APP_URI,
    oid: 'oid-v1',
    upn: 'bob@contoso.com',
    preferred_username: 'other@x',
    deviceid: 'dev-1',
    version: 'v1',
  });
  const id = await v.validate(token, { requireDeviceId: true });
  t.equal(id.tokenVersion, 'v1');
  t.equal(id.audience, APP_URI);
  t.equal(id.upn, 'bob@contoso.com', 'upn wins over preferred_username');
  t.equal(id.deviceId, 'dev-1');
});

t.test('upn falls back to unique_name; absent when none', async (t) => {
  const v = validator();
  const a = await v.validate(await entra.mintToken({ tid: TID_A, aud: APP_URI, unique_name: 'carol@contoso.com', version: 'v1' }));
  t.equal(a.upn, 'carol@contoso.com');
  const b = await v.validate(await entra.mintToken({ tid: TID_A, aud: APP_URI }));
  t.equal(b.upn, undefined);
});

t.test('GCC High tenant', async (t) => {
  const v = validator();
  const ok = await v.validate(await entra.mintToken({ tid: TID_GOV, aud: CLIENT_ID }));
  t.equal(ok.cloud, 'gcc-high');
  t.equal(ok.tokenVersion, 'v2');
  // A GCC High tenant refuses the commercial-cloud v2 issuer ...
  await rejectsWith(
    t,
    v.validate(await entra.mintToken({ tid: TID_GOV, aud: CLIENT_ID, issuer: `https://login.microsoftonline.com/${TID_GOV}/v2.0` })),
    'bad_issuer',
  );
  // ... and a commercial tenant refuses the US Gov issuer.
  await rejectsWith(
    t,
    v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, issuer: `https://login.microsoftonline.us/${TID_A}/v2.0` })),
    'bad_issuer',
  );
});

t.test('without the override the cloud authority decides the issuer (no network needed to refuse)', async (t) => {
  const gov = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid] });
  const commercialIss = await entra.mintToken({ tid: TID_GOV, aud: CLIENT_ID, issuer: `https://login.microsoftonline.com/${TID_GOV}/v2.0` });
  await rejectsWith(t, gov.validate(commercialIss), 'bad_issuer');
  const govIssOnCommercial = await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, issuer: `https://login.microsoftonline.us/${TID_A}/v2.0` });
  await rejectsWith(t, gov.validate(govIssOnCommercial), 'bad_issuer');
  t.equal(gov.stats().jwksFetches, 0, 'refused before any key fetch');
});

t.test('unknown tenant: refused before issuer, audience or keys are looked at', async (t) => {
  entra.requests = 0;
  const lookups: string[] = [];
  const v = validator({}, lookups);
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_UNKNOWN, aud: CLIENT_ID })), 'unknown_tenant');
  t.same(lookups, [TID_UNKNOWN]);
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, omit: ['tid'] })), 'unknown_tenant', 'missing tid');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: '../../evil', aud: CLIENT_ID })), 'unknown_tenant', 'non-GUID tid');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, extra: { tid: 42 } })), 'unknown_tenant', 'numeric tid');
  t.same(lookups, [TID_UNKNOWN], 'lookupTenant only ever called with a GUID');
  t.equal(entra.requests, 0, 'no JWKS fetch for unknown tenants');
  t.equal(v.stats().jwksFetches, 0);
});

t.test('lookupTenant returning another tenant is refused', async (t) => {
  const v = new EntraValidator({ lookupTenant: async () => TENANTS[TID_B], authorityOverride: entra.authority });
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID })), 'unknown_tenant');
});

t.test('tid of tenant A with the issuer of tenant B', async (t) => {
  const v = validator();
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, issuer: `${entra.authority}/${TID_B}/v2.0` })), 'bad_issuer');
  await rejectsWith(
    t,
    v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, version: 'v1', issuer: `https://sts.windows.net/${TID_B}/` })),
    'bad_issuer',
  );
  await rejectsWith(
    t,
    v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, issuer: `${entra.authority}/${TID_A}/v2.0/` })),
    'bad_issuer',
    'trailing slash',
  );
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, omit: ['iss'] })), 'bad_issuer', 'no iss');
});

t.test('audience', async (t) => {
  const v = validator();
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: 'https://other.example.com' })), 'bad_audience');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, omit: ['aud'] })), 'bad_audience', 'no aud');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: ['x', 'y'] })), 'bad_audience', 'array without a match');
  const id = await v.validate(await entra.mintToken({ tid: TID_A, aud: ['https://graph.microsoft.com', CLIENT_ID] }));
  t.equal(id.audience, CLIENT_ID, 'array aud: the matching value is reported');
  const noAud = new EntraValidator({
    lookupTenant: async (tid) => (tid === TID_A ? { ...TENANTS[TID_A], audiences: [] } : undefined),
    authorityOverride: entra.authority,
  });
  await rejectsWith(t, noAud.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID })), 'bad_audience', 'tenant with no audiences accepts nothing');
});

t.test('expiry, not-before and skew', async (t) => {
  const v = validator();
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, expiresInSec: -300 })), 'expired');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, nbfOffsetSec: 300 })), 'not_yet_valid');
  // Within the default 120 s skew.
  await v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, expiresInSec: -60 }));
  await v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, nbfOffsetSec: 60 }));
  // Skew 0: the same tokens are refused.
  const strict = validator({ clockSkewSeconds: 0 });
  await rejectsWith(t, strict.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, expiresInSec: -60 })), 'expired');
  await rejectsWith(t, strict.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, nbfOffsetSec: 60 })), 'not_yet_valid');
  // Larger configured skew.
  const lax = validator({ clockSkewSeconds: 600 });
  await lax.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, expiresInSec: -300 }));
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, omit: ['exp'] })), 'missing_claim', 'exp is required');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, extra: { exp: 'soon' } })), 'malformed', 'non-numeric exp');
});

t.test('oid and deviceid', async (t) => {
  const v = validator();
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, omit: ['oid'] })), 'missing_claim');
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, oid: '' })), 'missing_claim', 'empty oid');
  const noDevice = await entra.mintToken({ tid: TID_A, aud: CLIENT_ID });
  await v.validate(noDevice);
  await rejectsWith(t, v.validate(noDevice, { requireDeviceId: true }), 'missing_claim');
  const withDevice = await v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, deviceid: 'd-42' }), { requireDeviceId: true });
  t.equal(withDevice.deviceId, 'd-42');
});

t.test('algorithms: RS256 only', async (t) => {
  const v = validator();
  const claims = { tid: TID_A, aud: CLIENT_ID, oid: 'o', iss: `${entra.authority}/${TID_A}/v2.0`, exp: Math.floor(Date.now() / 1000) + 600 };
  // Hand-crafted tokens.
  await rejectsWith(t, v.validate(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`), 'unsupported_alg', 'alg none, empty signature');
  await rejectsWith(t, v.validate(`${b64({ alg: 'none', kid: entra.currentKid })}.${b64(claims)}.c2ln`), 'unsupported_alg', 'alg none with a signature');
  await rejectsWith(
    t,
    v.validate(`${b64({ alg: 'HS256', kid: entra.currentKid })}.${b64(claims)}.${Buffer.alloc(32, 1).toString('base64url')}`),
    'unsupported_alg',
    'HS256',
  );
  await rejectsWith(t, v.validate(`${b64({ alg: 'rs256', kid: entra.currentKid })}.${b64(claims)}.AAAA`), 'unsupported_alg', 'case matters');
  await rejectsWith(t, v.validate(`${b64({ kid: entra.currentKid })}.${b64(claims)}.AAAA`), 'unsupported_alg', 'no alg');
  // Really signed with other algorithms.
  for (const alg of ['HS256', 'RS384', 'RS512', 'PS256', 'ES256']) {
    await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, alg })), 'unsupported_alg', alg);
  }
  await rejectsWith(t, v.validate(await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, alg: 'none' })), 'unsupported_alg', 'helper none');
});

t.test('malformed input', async (t) => {
  const v = validator();
  for (const bad of [
    '',
    'abc',
    'a.b',
    'a.b.c.d',
    '!!!.e30.AAAA',
    `${b64({ alg: 'RS256', kid: 'k' })}.bm90IGpzb24.AAAA`,
    `${b64([1, 2])}.${b64({})}.AAAA`,
    'x'.repeat(40_000),
  ]) {
    await rejectsWith(t, v.validate(bad), 'malformed', JSON.stringify(bad.slice(0, 30)));
  }
  await rejectsWith(t, v.validate(undefined as unknown as string), 'malformed', 'undefined');
  const claims = { tid: TID_A, aud: CLIENT_ID, oid: 'o', iss: `${entra.authority}/${TID_A}/v2.0`, exp: Math.floor(Date.now() / 1000) + 600 };
  await rejectsWith(t, v.validate(`${b64({ alg: 'RS256' })}.${b64(claims)}.AAAA`), 'malformed', 'RS256 without kid');
  await rejectsWith(t, v.validate(`${b64({ alg: 'RS256', kid: entra.currentKid })}.${b64(claims)}.`), 'malformed', 'RS256 without signature');
});

t.test('tampered payload and forged signature', async (t) => {
  const v = validator();
  const token = await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, oid: 'victim' });
  await v.validate(token);
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.oid = 'attacker';
  await rejectsWith(t, v.validate(`${h}.${b64(claims)}.${s}`), 'bad_signature', 'payload changed');
  const sig = Buffer.from(s, 'base64url');
  sig[10] ^= 1;
  await rejectsWith(t, v.validate(`${h}.${p}.${sig.toString('base64url')}`), 'bad_signature', 'signature bit flipped');
  // Signed by another key that claims our kid.
  const other = await startFakeEntra();
  t.teardown(() => other.close());
  const forged = await other.mintToken({ tid: TID_A, aud: CLIENT_ID, kid: entra.currentKid, issuer: `${entra.authority}/${TID_A}/v2.0` });
  await rejectsWith(t, v.validate(forged), 'bad_signature', 'foreign key with a known kid');
});

t.test('JWKS cached per tenant: one fetch, shared by concurrent and later calls', async (t) => {
  const fake = await startFakeEntra();
  t.teardown(() => fake.close());
  const v = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: fake.authority });
  const tokens = await Promise.all(Array.from({ length: 20 }, () => fake.mintToken({ tid: TID_A, aud: CLIENT_ID })));
  await Promise.all(tokens.map((tok) => v.validate(tok)));
  for (const tok of tokens) await v.validate(tok);
  t.equal(fake.requests, 1, 'one fetch for tenant A');
  await v.validate(await fake.mintToken({ tid: TID_B, aud: CLIENT_ID }));
  t.equal(fake.requests, 2, 'tenant B has its own key set');
  const st = v.stats();
  t.equal(st.jwksFetches, 2);
  t.equal(st.jwksFailures, 0);
  t.ok(st.lastRefresh instanceof Date);
});

t.test('signing key not in the JWKS: one refresh, then bad_signature (cooldown holds)', async (t) => {
  const fake = await startFakeEntra();
  t.teardown(() => fake.close());
  const v = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: fake.authority, jwksCooldownMs: 300 });
  await v.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID }));
  t.equal(fake.requests, 1);
  await sleep(350);
  await rejectsWith(t, v.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID, kid: 'unpublished-kid' })), 'bad_signature');
  t.equal(fake.requests, 2, 'unknown kid triggered exactly one refresh');
  await rejectsWith(t, v.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID, kid: 'another-unpublished-kid' })), 'bad_signature');
  t.equal(fake.requests, 2, 'no second refresh inside the cooldown');
});

t.test('rotated key validates after refresh', async (t) => {
  const fake = await startFakeEntra();
  t.teardown(() => fake.close());
  const v = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: fake.authority, jwksCooldownMs: 200 });
  const oldToken = await fake.mintToken({ tid: TID_A, aud: CLIENT_ID });
  await v.validate(oldToken);
  const oldKid = fake.currentKid;
  await sleep(250);
  await fake.rotateKey();
  t.not(fake.currentKid, oldKid);
  const id = await v.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID, oid: 'after-rotation' }));
  t.equal(id.objectId, 'after-rotation');
  t.equal(fake.requests, 2, 'refetched once on the new kid');
  await v.validate(oldToken);
  t.equal(fake.requests, 2, 'old key still published and cached');
});

t.test('JWKS endpoint down -> jwks_unavailable (not bad_signature)', async (t) => {
  const gone = await startFakeEntra();
  const authority = gone.authority;
  const token = await gone.mintToken({ tid: TID_A, aud: CLIENT_ID });
  await gone.close();
  const v = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: authority });
  await rejectsWith(t, v.validate(token), 'jwks_unavailable', 'connection refused');
  t.equal(v.stats().jwksFailures, 1);

  const fake = await startFakeEntra();
  t.teardown(() => fake.close());
  fake.setAvailable(false);
  const v2 = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: fake.authority });
  await rejectsWith(t, v2.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID })), 'jwks_unavailable', 'HTTP 503');
  t.same({ f: v2.stats().jwksFetches, e: v2.stats().jwksFailures }, { f: 1, e: 1 });
  fake.setAvailable(true);
  await sleep(50);
  const noBackoff = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: fake.authority });
  await noBackoff.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID }));
  await v2.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID }));
  t.pass('recovers once the endpoint is back');
});

t.test('JWKS endpoint hangs -> jwks_unavailable after fetchTimeoutMs', async (t) => {
  const sockets: Socket[] = [];
  const hang = createNetServer((s) => sockets.push(s));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => hang.close(() => r()));
  });
  const authority = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
  const v = new EntraValidator({ lookupTenant: async (tid) => TENANTS[tid], authorityOverride: authority, fetchTimeoutMs: 200 });
  const token = await entra.mintToken({ tid: TID_A, aud: CLIENT_ID, issuer: `${authority}/${TID_A}/v2.0` });
  const started = Date.now();
  await rejectsWith(t, v.validate(token), 'jwks_unavailable');
  t.ok(Date.now() - started < 3000, 'bounded by the timeout');
});

t.test('refresh failure with recent keys: keep validating with the last good set', async (t) => {
  const fake = await startFakeEntra();
  t.teardown(() => fake.close());
  const opts = { lookupTenant: async (tid: string) => TENANTS[tid], authorityOverride: fake.authority, jwksCacheMaxAgeMs: 100, jwksCooldownMs: 100 };
  const v = new EntraValidator(opts);
  const strict = new EntraValidator({ ...opts, jwksMaxStaleMs: 0 });
  // Fresh tokens each time: a token already verified is remembered and needs no keys.
  const mint = () => fake.mintToken({ tid: TID_A, aud: CLIENT_ID });
  await v.validate(await mint());
  await strict.validate(await mint());
  fake.setAvailable(false);
  await sleep(150);
  await v.validate(await mint());
  t.equal(v.stats().jwksFailures, 1, 'refresh attempted and failed');
  await v.validate(await mint());
  t.equal(v.stats().jwksFetches, 2, 'backoff: no new attempt right after a failure');
  await rejectsWith(
    t,
    v.validate(await fake.mintToken({ tid: TID_A, aud: CLIENT_ID, kid: 'new-kid' })),
    'jwks_unavailable',
    'unknown kid while the endpoint is down',
  );
  await rejectsWith(t, strict.validate(await mint()), 'jwks_unavailable', 'stale fallback disabled');
});

t.test('a verified token is remembered until it expires, but tenant and audience are checked every time', async (t) => {
  const fake = await startFakeEntra();
  t.teardown(() => fake.close());
  const tenants: Record<string, EntraTenant | undefined> = { ...TENANTS };
  // No key cache and no stale fallback: only the verified-token memory can answer once Entra is down.
  const v = new EntraValidator({
    lookupTenant: async (tid: string) => tenants[tid],
    authorityOverride: fake.authority,
    clockSkewSeconds: 0,
    jwksCacheMaxAgeMs: 0,
    jwksCooldownMs: 0,
    jwksMaxStaleMs: 0,
  });
  const token = await fake.mintToken({ tid: TID_A, aud: CLIENT_ID, expiresInSec: 2 });
  const first = await v.validate(token);
  fake.setAvailable(false);
  const again = await v.validate(token);
  t.same(again, first, 'same identity without a key fetch');
  t.equal(v.stats().jwksFetches, 1);
  const saved = tenants[TID_A];
  tenants[TID_A] = undefined;
  await rejectsWith(t, v.validate(token), 'unknown_tenant', 'a disconnected tenant is refused even for a remembered token');
  tenants[TID_A] = { ...saved!, audiences: ['https://other.example'] };
  await rejectsWith(t, v.validate(token), 'bad_audience', 'an audience change applies to remembered tokens');
  tenants[TID_A] = saved;
  await sleep(2100);
  await rejectsWith(t, v.validate(token), 'expired', 'a remembered token is refused once it expires');
});

t.test('constructor checks', async (t) => {
  t.throws(() => new EntraValidator({} as EntraValidatorOptions), TypeError);
  t.throws(() => new EntraValidator({ lookupTenant: async () => undefined, authorityOverride: 'not a url' }));
  t.throws(() => new EntraValidator({ lookupTenant: async () => undefined, clockSkewSeconds: -1 }), TypeError);
  t.ok(new EntraTokenError('expired', 'x') instanceof Error);
});
