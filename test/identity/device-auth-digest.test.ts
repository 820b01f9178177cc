// OMA-DM syncml:auth-md5 / syncml:auth-basic credentials.
//
// Known-answer vectors. Each was computed independently of this code with the openssl CLI:
//   H    = $(printf '<name>:<secret>' | openssl md5 -binary | base64)
//   cred = $( { printf '%s:' "$H"; printf '<nonce bytes as \xNN escapes>'; } | openssl md5 -binary | base64)
// i.e. MD5 over the base64 TEXT of H, an ASCII ':', then the RAW nonce bytes.
//
// 1. The SyncML Representation Protocol 1.1 worked example: name "Bruce2", secret "OhBehave",
//    nonce = the 5 bytes "Nonce" (base64 "Tm9uY2U="):
//      H = PtEdr8lBQ45IbT1bZIkrOQ==, cred = Zz6EivR3yeaaENcRN6lpAQ== (the value the spec prints).
// 2. name "dev1", secret "s3cret" → H = qE6oKcW0DI6pEuRxx88LfQ==
//    a. nonce bytes 00 01 … 0f (base64 AAECAwQFBgcICQoLDA0ODw==) → b1TtIUjubcpqEYfC7TtGSw==
//    b. nonce bytes ff 80 00 c3 28 (base64 /4AAwyg=; not valid UTF-8, so any text round trip of
//       the nonce would break it) → 6xz6QWjN2DezWyUnYI6ZGQ==
//    c. empty nonce → Fez9nCDyYf2SxY1AUhP46g==
//    d. the WRONG construction, hashing the nonce's base64 text "AAECAwQFBgcICQoLDA0ODw==" instead
//       of its bytes → xYJXOgiwmk/5oyEldwF6hg== (must not verify)
// 3. UTF-8 credentials: name "Gerät", secret "pässwörd" → H = +iO2BU+evzTN8NvQbk3iSA==;
//    Basic Data b64("Gerät:pässwörd") = R2Vyw6R0OnDDpHNzd8O2cmQ=
import t from 'tap';
import { AUTH_BASIC, AUTH_MD5, basicCredUser, computeMd5Cred, expectedMd5Cred, newNonce, verifyBasicCred, verifyMd5Cred } from '../../src/identity/digest.js';
import { digestOf, generateDmCredentials, md5Response } from '../../src/identity/dm-credentials.js';

const md5 = (data: string) => ({ type: AUTH_MD5, format: 'b64', data });
const basic = (data: string) => ({ type: AUTH_BASIC, format: 'b64', data });

const KAT = {
  spec: { name: 'Bruce2', secret: 'OhBehave', h: 'PtEdr8lBQ45IbT1bZIkrOQ==', nonce: 'Tm9uY2U=', cred: 'Zz6EivR3yeaaENcRN6lpAQ==' },
  dev1: { name: 'dev1', secret: 's3cret', h: 'qE6oKcW0DI6pEuRxx88LfQ==' },
  seqNonce: { nonce: 'AAECAwQFBgcICQoLDA0ODw==', cred: 'b1TtIUjubcpqEYfC7TtGSw==', wrongTextNonceCred: 'xYJXOgiwmk/5oyEldwF6hg==' },
  binNonce: { nonce: '/4AAwyg=', cred: '6xz6QWjN2DezWyUnYI6ZGQ==' },
  emptyNonce: { nonce: '', cred: 'Fez9nCDyYf2SxY1AUhP46g==' },
};

t.test('known-answer vectors', async (t) => {
  const { spec, dev1, seqNonce, binNonce, emptyNonce } = KAT;
  t.equal(digestOf(spec.name, spec.secret), spec.h, 'H as stored, spec example');
  t.equal(expectedMd5Cred(spec.h, spec.nonce), spec.cred, 'SyncML RepPro example: Bruce2/OhBehave/"Nonce"');
  t.equal(computeMd5Cred(spec.name, spec.secret, spec.nonce), spec.cred, 'device side, same value');
  t.ok(verifyMd5Cred(md5(spec.cred), spec.h, spec.nonce));

  t.equal(digestOf(dev1.name, dev1.secret), dev1.h);
  t.equal(expectedMd5Cred(dev1.h, seqNonce.nonce), seqNonce.cred, 'nonce 00..0f');
  t.equal(expectedMd5Cred(dev1.h, binNonce.nonce), binNonce.cred, 'non-UTF-8 nonce bytes');
  t.equal(expectedMd5Cred(dev1.h, emptyNonce.nonce), emptyNonce.cred, 'empty nonce');
  t.not(expectedMd5Cred(dev1.h, seqNonce.nonce), seqNonce.wrongTextNonceCred, 'nonce is hashed as bytes, not base64 text');
  t.notOk(verifyMd5Cred(md5(seqNonce.wrongTextNonceCred), dev1.h, seqNonce.nonce), 'the text-nonce construction is refused');

  t.equal(digestOf('Gerät', 'pässwörd'), '+iO2BU+evzTN8NvQbk3iSA==', 'UTF-8 name/secret');
  t.same(basicCredUser(basic('R2Vyw6R0OnDDpHNzd8O2cmQ=')), { user: 'Gerät', password: 'pässwörd' });

  // Same construction as dm-credentials' md5Response (used elsewhere in the server).
  t.equal(expectedMd5Cred(dev1.h, seqNonce.nonce), md5Response(dev1.h, Buffer.from(seqNonce.nonce, 'base64')));
});

t.test('round trip with generated DM credentials', async (t) => {
  const creds = generateDmCredentials('6F9619FF8B86D011B42D00C04FC964FF', 'fenestra');
  for (let i = 0; i < 20; i++) {
    const nonce = newNonce();
    const data = computeMd5Cred(creds.username, creds.password, nonce);
    t.ok(verifyMd5Cred(md5(data), creds.passwordDigest, nonce), `device → server ${i}`);
    const serverData = computeMd5Cred(creds.serverName, creds.serverSecret, creds.nonce);
    t.ok(verifyMd5Cred(md5(serverData), creds.serverDigest, creds.nonce), `server → device ${i}`);
  }
});

t.test('refusals', async (t) => {
  const { dev1, seqNonce } = KAT;
  const good = seqNonce.cred;
  t.ok(verifyMd5Cred(md5(good), dev1.h, seqNonce.nonce), 'baseline');
  t.notOk(verifyMd5Cred(md5(computeMd5Cred('dev1', 's3creT', seqNonce.nonce)), dev1.h, seqNonce.nonce), 'wrong secret');
  t.notOk(verifyMd5Cred(md5(computeMd5Cred('dev2', 's3cret', seqNonce.nonce)), dev1.h, seqNonce.nonce), 'wrong name');
  t.notOk(verifyMd5Cred(md5(good), dev1.h, newNonce()), 'other nonce (replay of an old Cred)');
  t.notOk(verifyMd5Cred(md5(good), digestOf('dev1', 'other'), seqNonce.nonce), 'other stored H');
  t.notOk(verifyMd5Cred({ type: AUTH_BASIC, format: 'b64', data: good }, dev1.h, seqNonce.nonce), 'type basic');
  t.notOk(verifyMd5Cred({ format: 'b64', data: good }, dev1.h, seqNonce.nonce), 'type missing');
  t.notOk(verifyMd5Cred({ type: 'syncml:auth-md5x', data: good }, dev1.h, seqNonce.nonce), 'type almost right');
  t.notOk(verifyMd5Cred({ type: AUTH_MD5, format: 'chr', data: good }, dev1.h, seqNonce.nonce), 'format chr');
  t.ok(verifyMd5Cred({ type: AUTH_MD5, data: good }, dev1.h, seqNonce.nonce), 'format absent: b64 assumed');
  t.ok(verifyMd5Cred({ type: ' SyncML:Auth-MD5 ', format: 'B64', data: ` ${good}\n` }, dev1.h, seqNonce.nonce), 'case and whitespace');

  for (const data of ['', 'not base64!', good.slice(0, -2), good.slice(1), `${good}AAAA`, Buffer.alloc(15).toString('base64'), 'A'.repeat(10_000)]) {
    t.notOk(verifyMd5Cred(md5(data), dev1.h, seqNonce.nonce), `garbage data ${JSON.stringify(data.slice(0, 30))}`);
  }
  t.notOk(verifyMd5Cred(md5(good), dev1.h, 'not base64!'), 'garbage nonce');
  t.notOk(verifyMd5Cred(md5(good), 'not-a-digest', seqNonce.nonce), 'garbage H');
  t.notOk(verifyMd5Cred(md5(good), dev1.h.slice(0, -4), seqNonce.nonce), 'short H');
  t.notOk(verifyMd5Cred(null as never, dev1.h, seqNonce.nonce), 'no cred');
  t.notOk(verifyMd5Cred({ type: AUTH_MD5, data: 42 } as never, dev1.h, seqNonce.nonce), 'non-string data');
  t.notOk(verifyMd5Cred(md5(good), undefined as never, seqNonce.nonce), 'no H');

  t.throws(() => expectedMd5Cred('not-a-digest', seqNonce.nonce), TypeError);
  t.throws(() => expectedMd5Cred(dev1.h, '%%%'), TypeError);
  t.throws(() => computeMd5Cred('dev1', 's3cret', 'AAA'), TypeError, 'unpadded nonce');
});

t.test('newNonce', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const n = newNonce();
    t.equal(Buffer.from(n, 'base64').length, 16);
    t.equal(Buffer.from(n, 'base64').toString('base64'), n, 'canonical base64');
    seen.add(n);
  }
  t.equal(seen.size, 100, 'fresh every time');
});

t.test('syncml:auth-basic', async (t) => {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  t.same(basicCredUser(basic(b64('dev1:s3cret'))), { user: 'dev1', password: 's3cret' });
  t.same(basicCredUser(basic(b64('dev1:a:b:c'))), { user: 'dev1', password: 'a:b:c' }, 'split at the first colon');
  t.same(basicCredUser(basic(b64('dev1:'))), { user: 'dev1', password: '' }, 'empty password');
  t.same(basicCredUser({ type: 'SYNCML:AUTH-BASIC', data: b64('u:p') }), { user: 'u', password: 'p' }, 'format absent, any case');
  t.equal(basicCredUser(basic(b64(':p'))), undefined, 'empty user');
  t.equal(basicCredUser(basic(b64('nocolon'))), undefined, 'no colon');
  t.equal(basicCredUser(md5(b64('u:p'))), undefined, 'md5 type');
  t.equal(basicCredUser({ type: AUTH_BASIC, format: 'chr', data: 'u:p' }), undefined, 'chr format');
  t.equal(basicCredUser(basic('!!!')), undefined, 'garbage');
  t.equal(basicCredUser(basic(Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64'))), undefined, 'invalid UTF-8');
  t.equal(basicCredUser(null as never), undefined);

  const h = digestOf('dev1', 's3cret');
  t.ok(verifyBasicCred(basic(b64('dev1:s3cret')), 'dev1', h));
  t.notOk(verifyBasicCred(basic(b64('dev1:wrong')), 'dev1', h), 'wrong password');
  t.notOk(verifyBasicCred(basic(b64('dev2:s3cret')), 'dev1', h), 'other user');
  t.notOk(verifyBasicCred(basic(b64('dev1:s3cret')), 'dev1', 'garbage'), 'garbage H');
  t.notOk(verifyBasicCred(md5('x'), 'dev1', h), 'not basic');
});
