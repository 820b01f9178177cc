import t from 'tap';
import { decodeBinarySecurityToken, looksLikeEntraJwt, EntraTokenError } from '../../src/identity/entra.js';
import { startFakeEntra } from '../helpers/entra.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

t.test('decodeBinarySecurityToken', async (t) => {
  const entra = await startFakeEntra();
  t.teardown(() => entra.close());
  // Pick a token whose base64 needs padding. (A compact JWT is ASCII from the base64url alphabet
  // plus '.', so its base64 never contains '+' '/' '-' '_': both alphabets spell it the same way;
  // the alphabet handling is exercised below with a newline-terminated payload.)
  let jwt = '';
  for (let i = 0; i < 50 && !jwt; i++) {
    const candidate = await entra.mintToken({ tid: '11111111-1111-4111-8111-111111111111', aud: 'x', upn: `u${'x'.repeat(i)}@contoso.com` });
    if (Buffer.from(candidate).toString('base64').endsWith('=')) jwt = candidate;
  }
  t.ok(jwt, 'found a token whose base64 is padded');
  const std = Buffer.from(jwt).toString('base64');
  const url = Buffer.from(jwt).toString('base64url');
  t.equal(decodeBinarySecurityToken(std), jwt, 'standard alphabet, padded');
  t.equal(decodeBinarySecurityToken(std.replace(/=+$/, '')), jwt, 'standard alphabet, unpadded');
  t.equal(decodeBinarySecurityToken(url), jwt, 'url-safe alphabet, unpadded');
  t.equal(decodeBinarySecurityToken(url + '='.repeat((4 - (url.length % 4)) % 4)), jwt, 'url-safe alphabet, padded');
  const wrapped = '\n  ' + std.replace(/(.{76})/g, '$1\r\n') + '\n\t ';
  t.equal(decodeBinarySecurityToken(wrapped), jwt, 'line-wrapped with surrounding whitespace');
  t.equal(decodeBinarySecurityToken(jwt), jwt, 'raw compact JWT');
  t.equal(decodeBinarySecurityToken(`  ${jwt}\n`), jwt, 'raw compact JWT with whitespace');
  t.equal(decodeBinarySecurityToken(Buffer.from(jwt + '\n').toString('base64')), jwt, 'encoded JWT with trailing newline');
  // Bytes whose base64 does contain '+'/'/' (std) vs '-'/'_' (url-safe) both decode, then fail the JWT shape.
  const odd = Buffer.from(jwt + '?>~');
  t.match(odd.toString('base64'), /[+/]/);
  t.throws(() => decodeBinarySecurityToken(odd.toString('base64')), { code: 'malformed' }, 'std alphabet, not a JWT inside');
  t.throws(() => decodeBinarySecurityToken(odd.toString('base64url')), { code: 'malformed' }, 'url alphabet, not a JWT inside');
  const tailJwt = 'eyJhbGciOiJSUzI1NiJ9.eyJ9.c2ln';
  const framed = Buffer.concat([Buffer.from(tailJwt), Buffer.from(' \n')]);
  t.equal(decodeBinarySecurityToken(framed.toString('base64')), tailJwt);

  const garbage = [
    '',
    '   ',
    '!!!!',
    'not base64 at all',
    'abc=def',
    'a',
    'YQ===',
    Buffer.from('hello world').toString('base64'),
    Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64'),
    std.slice(0, 10) + '*' + std.slice(10),
    'a.b',
    '.b.c',
    'x'.repeat(70_000),
  ];
  for (const g of garbage) {
    t.throws(() => decodeBinarySecurityToken(g), { name: 'EntraTokenError', code: 'malformed' }, `garbage ${JSON.stringify(g.slice(0, 20))}`);
  }
  t.throws(() => decodeBinarySecurityToken(undefined as unknown as string), EntraTokenError);
});

t.test('looksLikeEntraJwt', async (t) => {
  const entra = await startFakeEntra();
  t.teardown(() => entra.close());
  const jwt = await entra.mintToken({ tid: '11111111-1111-4111-8111-111111111111', aud: 'x' });
  t.ok(looksLikeEntraJwt(jwt));
  t.notOk(looksLikeEntraJwt(await entra.mintToken({ tid: 't', aud: 'x', alg: 'HS256' })), 'HS256');
  t.notOk(looksLikeEntraJwt(`${b64({ alg: 'RS256' })}.${b64({})}.AAAA`), 'no kid');
  t.notOk(looksLikeEntraJwt(`${b64({ alg: 'RS256', kid: '' })}.${b64({})}.AAAA`), 'empty kid');
  t.notOk(looksLikeEntraJwt(`${b64({ alg: 'RS256', kid: 'k' })}.${b64({})}.`), 'no signature');
  t.notOk(looksLikeEntraJwt('a.b'), 'two parts');
  t.notOk(looksLikeEntraJwt('!!.??.**'), 'not base64url');
  t.notOk(looksLikeEntraJwt(`bm90IGpzb24.${b64({})}.AAAA`), 'header not JSON');
  t.notOk(looksLikeEntraJwt(Buffer.from(jwt).toString('base64')), 'still encoded');
  t.notOk(looksLikeEntraJwt(undefined as unknown as string));
});
