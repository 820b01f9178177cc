import t from 'tap';
import { createHash } from 'node:crypto';
import { derToPem, pemToDer, sha1Thumbprint } from '../../src/pki/der.js';
import { reasonOf } from './helpers.js';

t.test('sha1Thumbprint is 40 uppercase hex chars of SHA-1(DER)', async (t) => {
  const der = Buffer.from('3003020101', 'hex');
  const tp = sha1Thumbprint(der);
  t.match(tp, /^[0-9A-F]{40}$/);
  t.equal(tp, createHash('sha1').update(der).digest('hex').toUpperCase());
});

t.test('PEM round trip with 64-char lines', async (t) => {
  const der = Buffer.alloc(200, 0xab);
  const pem = derToPem(der, 'CERTIFICATE');
  t.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  t.match(pem, /\n-----END CERTIFICATE-----\n$/);
  for (const line of pem.trim().split('\n').slice(1, -1)) t.ok(line.length <= 64);
  t.same(pemToDer(pem), der);
  t.same(pemToDer(`junk before\r\n${pem.replace(/\n/g, '\r\n')}junk after`), der, 'CRLF and surrounding text tolerated');
});

t.test('invalid PEM is refused', async (t) => {
  t.equal(
    reasonOf(() => pemToDer('not pem')),
    'invalid-pem',
  );
  t.equal(
    reasonOf(() => pemToDer('-----BEGIN X-----\n!!!!\n-----END X-----\n')),
    'invalid-pem',
  );
  t.equal(
    reasonOf(() => pemToDer('-----BEGIN X-----\n-----END X-----\n')),
    'invalid-pem',
  );
  t.equal(
    reasonOf(() => pemToDer('-----BEGIN X-----\nAAAA\n-----END Y-----\n')),
    'invalid-pem',
  );
});
