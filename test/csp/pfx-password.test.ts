// The PFX password check (src/pki/pfx.ts): the PKCS#12 MAC verifies with the right password and
// fails with a wrong one, for OpenSSL's current (SHA-256) and legacy (SHA-1) files, an empty
// password, and a file without MAC; a certificate profile with a wrong password is refused.
import t from 'tap';
import { checkPfxPassword } from '../../src/pki/pfx.js';
import { compileProfile } from '../../src/protocol/csp/index.js';
import { errorsOf, fixture } from './fixtures/helpers.js';

const pfx = (name: string) => Buffer.from(fixture(`pfx-${name}.b64`).trim(), 'base64');

t.test('checkPfxPassword', async (t) => {
  t.equal(checkPfxPassword(pfx('modern'), 'correct-horse'), 'ok', 'SHA-256 MAC, right password');
  t.equal(checkPfxPassword(pfx('modern'), 'correct-horsE'), 'wrong-password', 'SHA-256 MAC, wrong password');
  t.equal(checkPfxPassword(pfx('legacy'), 'correct-horse'), 'ok', 'SHA-1 MAC, right password');
  t.equal(checkPfxPassword(pfx('legacy'), ''), 'wrong-password', 'SHA-1 MAC, empty password');
  t.equal(checkPfxPassword(pfx('empty'), ''), 'ok', 'empty password');
  t.equal(checkPfxPassword(pfx('empty'), 'x'), 'wrong-password', 'empty-password file, a password given');
  t.equal(checkPfxPassword(pfx('nomac'), 'anything'), 'unchecked', 'no MAC: nothing to check');
  t.equal(checkPfxPassword(Buffer.from(fixture('test-user.pfx.b64').trim(), 'base64'), 'Pfx-Passw0rd'), 'ok', 'the Windows-style fixture');
  t.throws(() => checkPfxPassword(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03]), 'x'), 'not a PFX: throws');
});

t.test('certificate profile: the password must open the PFX', async (t) => {
  const settings = (password?: string) => ({
    ref: 'c',
    type: 'pfx',
    pfxBase64: fixture('pfx-modern.b64').trim(),
    ...(password === undefined ? {} : { password }),
  });
  t.ok(compileProfile('certificate', 'user', settings('correct-horse')), 'right password: accepted');
  const wrong = errorsOf(() => compileProfile('certificate', 'user', settings('wrong')));
  t.same(
    wrong.map((e) => e.pointer),
    ['/password'],
    'wrong password: refused at /password',
  );
  t.match(wrong[0].message, /does not open/);
  t.same(
    errorsOf(() => compileProfile('certificate', 'user', settings())).map((e) => e.pointer),
    ['/password'],
    'no password for a protected PFX: refused at /password',
  );
  t.same(
    errorsOf(() => compileProfile('certificate', 'user', { ref: 'c', type: 'pfx', pfxBase64: Buffer.from([0x30, 0x00]).toString('base64') })).map(
      (e) => e.pointer,
    ),
    ['/pfxBase64'],
    'not a PFX: refused at /pfxBase64',
  );
});
