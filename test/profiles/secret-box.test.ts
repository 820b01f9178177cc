// Profile secrets: sealed, opened, masked, and kept when the mask is sent back.
import crypto from 'node:crypto';
import t from 'tap';
import { MASK, decrypt, encrypt, maskSecrets, mergeMasked, openSecrets, sealSecrets } from '../../src/identity/secret-box.js';

const key = crypto.randomBytes(32);
const settings = {
  ssid: 'Contoso',
  passphrase: 'p@ss',
  type: 'pfx',
  pfxBase64: 'MIIKEY',
  nodes: [
    { locUri: './Device/Vendor/MSFT/X/Y', format: 'chr', value: 'public' },
    { locUri: './Device/Vendor/MSFT/X/Z', format: 'chr', value: 'hidden', secret: true },
  ],
};

t.test('seal / open / mask / merge', async (t) => {
  const sealed = sealSecrets(settings, key);
  const text = JSON.stringify(sealed);
  for (const secret of ['p@ss', 'MIIKEY', 'hidden']) t.notOk(text.includes(secret), `${secret} sealed`);
  t.ok(text.includes('public'), 'non-secret values stay readable');
  t.same(openSecrets(sealed, key), settings);
  const masked = maskSecrets(sealed);
  t.equal(masked.passphrase, MASK);
  t.equal(masked.nodes[1].value, MASK);
  t.equal(masked.nodes[0].value, 'public');
  t.same(mergeMasked(masked, settings), settings, 'masks sent back keep the stored values');
  t.equal(mergeMasked({ ...masked, passphrase: 'new' }, settings).passphrase, 'new');
  t.throws(() => decrypt(encrypt('x', key), crypto.randomBytes(32)), 'another key cannot open it');
  const tampered = encrypt('x', key).slice(0, -2) + 'AA';
  t.throws(() => decrypt(tampered, key), 'tampering is detected');
});
