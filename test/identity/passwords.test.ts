// Enrollment-account passwords: scrypt, and the short memory of recent successes (GetPolicies
// then RequestSecurityToken with the same credentials) that must never accept anything else.
import t from 'tap';
import { hashPassword, verifyPassword } from '../../src/identity/passwords.js';

t.test('verify, remembered successes, no false positives', async (t) => {
  const stored = await hashPassword('correct horse');
  t.equal(await verifyPassword('correct horse', stored), true);
  t.equal(await verifyPassword('correct horse', stored), true, 'again (remembered)');
  t.equal(await verifyPassword('correct horsE', stored), false, 'another password');
  t.equal(await verifyPassword('', stored), false);
  const changed = await hashPassword('new password');
  t.equal(await verifyPassword('correct horse', changed), false, 'the old password against a changed hash');
  t.equal(await verifyPassword('new password', changed), true);
  t.equal(await verifyPassword('correct horse', undefined), false, 'unknown account');
  t.equal(await verifyPassword('fenestra-dummy-password', undefined), false, 'even with the dummy password');
  t.equal(await verifyPassword('correct horse', 'not-a-hash'), false, 'a malformed stored hash');
});
