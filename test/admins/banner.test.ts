// The start-up banner's first-owner line: the set-up link under the admin URL (the public URL, or
// its host on the admin listener's port), only while a setup code was issued.
import t from 'tap';
import { startupBanner } from '../../src/cli/banner.js';
import { loadConfig } from '../../src/config.js';

const base = { FENESTRA_PUBLIC_URL: 'https://mdm.contoso.test', FENESTRA_DATA_DIR: '/tmp/fenestra-banner-data', FENESTRA_ENV: 'test' };

t.test('the set-up link is printed with the code, before the admin token line', async (t) => {
  const out = startupBanner(loadConfig(base), 'CODE-abc_123');
  t.match(
    out,
    /\n {2}first owner: open https:\/\/mdm\.contoso\.test\/console\/setup\?code=CODE-abc_123 \(once, within 24 h; `fenestra admins setup-link` prints a new one\)\n {2}admin token: /,
  );
  t.notMatch(startupBanner(loadConfig(base)), /first owner/, 'no line once an administrator exists');
});

t.test('with FENESTRA_ADMIN_LISTEN the link uses the admin listener’s port', async (t) => {
  const out = startupBanner(loadConfig({ ...base, FENESTRA_ADMIN_LISTEN: '127.0.0.1:9443' }), 'c');
  t.match(out, 'first owner: open https://mdm.contoso.test:9443/console/setup?code=c ');
});
