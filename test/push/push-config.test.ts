// Push configuration: the three WNS credentials all or none (the error names the variables,
// never the secret's value), the defaults (Microsoft's token endpoint, the WNS notify domain),
// and which ChannelURIs the server would ever contact under those defaults.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { channelRefusal } from '../../src/service/push/channel.js';

const base = { FENESTRA_LISTEN: '127.0.0.1:0' };
const creds = { FENESTRA_WNS_PFN: 'Fenestra.Mdm_8wekyb3d8bbwe', FENESTRA_WNS_CLIENT_ID: 'ms-app://s-1-15-2-1', FENESTRA_WNS_CLIENT_SECRET: 'Sup3rSecretValue' };

t.test('all three or none', async (t) => {
  t.equal(loadConfig(base).wns, undefined, 'push is off when unset');
  for (const missing of Object.keys(creds)) {
    const env: Record<string, string> = { ...base, ...creds };
    delete env[missing];
    const err = t.throws(() => loadConfig(env)) as ConfigError;
    t.type(err, ConfigError);
    t.match(err.message, new RegExp(`must be set together \\(got only .*\\)`));
    t.notMatch(err.message.split('got only')[1], missing, `${missing} is named as missing`);
    t.notOk(err.message.includes(creds.FENESTRA_WNS_CLIENT_SECRET), 'the secret value is never in the message');
  }
  const cfg = loadConfig({ ...base, ...creds });
  t.match(cfg.wns, {
    pfn: creds.FENESTRA_WNS_PFN,
    clientId: creds.FENESTRA_WNS_CLIENT_ID,
    tokenUrl: 'https://login.live.com/accesstoken.srf',
    channelHosts: ['.notify.windows.com'],
  });
});

t.test('values are checked', async (t) => {
  const bad = (env: Record<string, string>, re: RegExp) => {
    const err = t.throws(() => loadConfig({ ...base, ...creds, ...env })) as ConfigError;
    t.match(err.message, re);
    t.notOk(err.message.includes(creds.FENESTRA_WNS_CLIENT_SECRET));
  };
  bad({ FENESTRA_WNS_PFN: 'not a pfn' }, /FENESTRA_WNS_PFN must be a package family name/);
  bad({ FENESTRA_WNS_CLIENT_ID: 'ms-app://with space' }, /FENESTRA_WNS_CLIENT_ID/);
  bad({ FENESTRA_WNS_TOKEN_URL: 'ftp://x' }, /FENESTRA_WNS_TOKEN_URL/);
  bad(
    { FENESTRA_WNS_TOKEN_URL: 'http://127.0.0.1/t', FENESTRA_ENV: 'production', FENESTRA_PUBLIC_URL: 'https://mdm.example.com' },
    /FENESTRA_WNS_TOKEN_URL must use https/,
  );
  bad({ FENESTRA_WNS_CHANNEL_HOSTS: ' , ' }, /FENESTRA_WNS_CHANNEL_HOSTS/);
  bad({ FENESTRA_WNS_CHANNEL_HOSTS: 'a/b' }, /FENESTRA_WNS_CHANNEL_HOSTS/);
  const stray = t.throws(() => loadConfig({ ...base, FENESTRA_WNS_TOKEN_URL: 'https://login.live.com/accesstoken.srf' })) as ConfigError;
  t.match(stray.message, /FENESTRA_WNS_TOKEN_URL set but push is off/, 'a push setting without credentials is an error');
});

t.test('ChannelURIs under the default hosts', async (t) => {
  const hosts = ['.notify.windows.com'];
  t.equal(channelRefusal('https://db5p.notify.windows.com/?token=AwYAAAB', hosts), undefined, 'a WNS channel');
  t.match(channelRefusal('http://db5p.notify.windows.com/?token=x', hosts), /not https/, 'plain http to a suffix');
  t.match(channelRefusal('https://notify.windows.com.evil.test/x', hosts), /not under/);
  t.match(channelRefusal('https://evilnotify.windows.com/x', hosts), /not under/, 'the suffix is matched at a dot');
  t.match(channelRefusal('https://notify.windows.com/x', hosts), /not under/, 'the bare domain is not a channel host');
  t.match(channelRefusal('https://u:p@db5p.notify.windows.com/x', hosts), /credentials/);
  t.match(channelRefusal('https://169.254.169.254/latest/meta-data', hosts), /not under/);
  t.match(channelRefusal('not a url', hosts), /not a URL/);
  t.match(channelRefusal(`https://db5p.notify.windows.com/${'a'.repeat(3000)}`, hosts), /longer than/);
  t.equal(channelRefusal('http://127.0.0.1:8080/wns/x', ['127.0.0.1']), undefined, 'http only for an exact host the operator listed');
});
