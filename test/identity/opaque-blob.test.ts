import t from 'tap';
import { randomBytes } from 'node:crypto';
import { signOpaqueBlob, verifyOpaqueBlob, OpaqueBlobError, sealHmac, openHmac, OPAQUE_BLOB_TTL_MS } from '../../src/identity/opaque-blob.js';

const secret = randomBytes(32);
const now = 1_760_000_000_000;
const payload = { tid: '11111111-1111-4111-8111-111111111111', oid: 'oid-1', upn: 'alice@contoso.com', acceptedAt: now, exp: now + OPAQUE_BLOB_TTL_MS };

t.test('round trip', async (t) => {
  const blob = signOpaqueBlob(payload, secret);
  t.match(blob, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'URL-safe');
  t.same(verifyOpaqueBlob(blob, secret, now + 1000), payload);
  const noUpn = signOpaqueBlob({ tid: 't', oid: 'o', acceptedAt: now, exp: now + 10 }, secret);
  t.same(verifyOpaqueBlob(noUpn, secret, now), { tid: 't', oid: 'o', acceptedAt: now, exp: now + 10 });
  t.ok(verifyOpaqueBlob(signOpaqueBlob({ ...payload, acceptedAt: Date.now(), exp: Date.now() + 60_000 }, secret), secret), 'default now');
});

t.test('expiry', async (t) => {
  const blob = signOpaqueBlob(payload, secret);
  t.throws(() => verifyOpaqueBlob(blob, secret, payload.exp), { code: 'expired' });
  t.throws(() => verifyOpaqueBlob(blob, secret, payload.exp + 1), { code: 'expired' });
  t.throws(() => verifyOpaqueBlob(signOpaqueBlob({ ...payload, acceptedAt: 0, exp: 1 }, secret), secret), { code: 'expired' }, 'default now');
});

t.test('tampering', async (t) => {
  const blob = signOpaqueBlob(payload, secret);
  const [body, mac] = blob.split('.');
  const forgedBody = Buffer.from(JSON.stringify({ ...payload, oid: 'attacker' })).toString('base64url');
  t.throws(() => verifyOpaqueBlob(`${forgedBody}.${mac}`, secret, now), { code: 'bad_mac' }, 'changed payload');
  const m = Buffer.from(mac, 'base64url');
  m[0] ^= 0x80;
  t.throws(() => verifyOpaqueBlob(`${body}.${m.toString('base64url')}`, secret, now), { code: 'bad_mac' }, 'flipped MAC bit');
  t.throws(() => verifyOpaqueBlob(`${body}.${mac.slice(0, -2)}`, secret, now), { code: 'bad_mac' }, 'short MAC');
  t.throws(() => verifyOpaqueBlob(blob, randomBytes(32), now), { code: 'bad_mac' }, 'other secret');
  t.throws(() => verifyOpaqueBlob(sealHmac('tou-page-state', payload, secret), secret, now), { code: 'bad_mac' }, 'other purpose');
});

t.test('garbage', async (t) => {
  for (const g of ['', '.', 'abc', 'a.b.c', '!!!.???', 'x'.repeat(10_000), undefined, 42]) {
    t.throws(() => verifyOpaqueBlob(g as string, secret, now), OpaqueBlobError, JSON.stringify(g)?.slice(0, 20));
  }
  // A correctly MAC'd value that is not a blob payload.
  const bad = sealHmac('tou-opaque-blob', { tid: 't' }, secret);
  t.throws(() => verifyOpaqueBlob(bad, secret, now), { code: 'malformed' });
  t.same(openHmac('p', sealHmac('p', { a: 1 }, secret), secret), { a: 1 });
});

t.test('argument checks', async (t) => {
  t.throws(() => signOpaqueBlob(payload, Buffer.alloc(8)), TypeError, 'short secret');
  t.throws(() => signOpaqueBlob({ ...payload, oid: '' }, secret), TypeError);
  t.throws(() => signOpaqueBlob({ ...payload, exp: now - 1 }, secret), TypeError);
  t.throws(() => signOpaqueBlob({ ...payload, exp: NaN }, secret), TypeError);
});
