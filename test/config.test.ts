// loadConfig(env): defaults, every refusal names its variable, several problems are reported
// together, and a database password never reaches a message.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError, describeDatabase, loadConfig } from '../src/config.js';
import { KNOWN_VARS } from '../src/config-env.js';
import { startTestServer } from './helpers/server.js';

type Env = Record<string, string | undefined>;

/** The problems loadConfig reports for env, or [] if it accepts it. */
function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

const GOOD_KEY = crypto.randomBytes(32).toString('base64');
const STRONG_TOKEN = crypto.randomBytes(32).toString('base64url');
/** What production needs besides the values under test. */
const PROD: Env = { FENESTRA_TLS_CERT: '/etc/tls/cert.pem', FENESTRA_TLS_KEY: '/etc/tls/key.pem' };

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.same(c, {
    publicUrl: 'https://localhost:8443',
    listenHost: '0.0.0.0',
    listenPort: 8443,
    dataDir: path.resolve('./data'),
    certsDir: path.resolve('./certs-dev'),
    database: { kind: 'sqlite', file: path.join(path.resolve('./data'), 'fenestra.db') },
    tls: undefined,
    ca: undefined,
    adminToken: undefined,
    entraAuthority: undefined,
    logLevel: 'info',
    production: false,
    certValidityDays: 365,
    renewPeriodDays: 42,
    providerId: 'fenestra',
    secretKey: undefined,
    trustedProxies: undefined,
    workers: 1,
    maxConnections: 4096,
    tlsHandshakeTimeoutMs: 10_000,
    databaseTimeoutMs: 10_000,
    requestDeadlineMs: 15_000,
    consoleSession: { idleMinutes: 30, hours: 12 },
    entraGroupSyncMinutes: 15,
    contentUrlTtlHours: 24,
    contentMaxBytes: 8 * 2 ** 30,
    contentStallSeconds: 120,
  });
  t.same(
    [loadConfig({ FENESTRA_CONTENT_URL_TTL_HOURS: '168', FENESTRA_CONTENT_MAX_BYTES: '1048576' })].map((c) => [c.contentUrlTtlHours, c.contentMaxBytes])[0],
    [168, 1048576],
    'package URLs and size limit',
  );
  t.throws(() => loadConfig({ FENESTRA_CONTENT_URL_TTL_HOURS: '0' }), /FENESTRA_CONTENT_URL_TTL_HOURS=0 is out of range \(1\.\.168\)/);
  t.throws(() => loadConfig({ FENESTRA_CONTENT_URL_TTL_HOURS: '169' }), /FENESTRA_CONTENT_URL_TTL_HOURS=169 is out of range/);
  t.throws(() => loadConfig({ FENESTRA_CONTENT_MAX_BYTES: '8G' }), /FENESTRA_CONTENT_MAX_BYTES="8G" is not a whole number/);
  t.equal(loadConfig({ FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0' }).entraGroupSyncMinutes, 0, 'Entra groups synced on demand only');
  t.throws(() => loadConfig({ FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '1441' }), /FENESTRA_ENTRA_GROUP_SYNC_MINUTES=1441 is out of range/);
  t.same(loadConfig({ FENESTRA_CONSOLE_IDLE_MINUTES: '5', FENESTRA_CONSOLE_SESSION_HOURS: '1' }).consoleSession, { idleMinutes: 5, hours: 1 });
  t.equal(loadConfig({ FENESTRA_MAX_CONNECTIONS: '100', FENESTRA_TLS_HANDSHAKE_TIMEOUT: '3' }).tlsHandshakeTimeoutMs, 3000);
  t.throws(() => loadConfig({ FENESTRA_MAX_CONNECTIONS: '0' }), /FENESTRA_MAX_CONNECTIONS=0 is out of range/);
  t.throws(() => loadConfig({ FENESTRA_TLS_HANDSHAKE_TIMEOUT: '121' }), /FENESTRA_TLS_HANDSHAKE_TIMEOUT=121 is out of range/);
  const timeouts = loadConfig({ FENESTRA_DATABASE_TIMEOUT: '2', FENESTRA_REQUEST_DEADLINE: '4' });
  t.same([timeouts.databaseTimeoutMs, timeouts.requestDeadlineMs], [2000, 4000]);
  t.throws(() => loadConfig({ FENESTRA_DATABASE_TIMEOUT: '0' }), /FENESTRA_DATABASE_TIMEOUT=0 is out of range/);
  t.throws(() => loadConfig({ FENESTRA_REQUEST_DEADLINE: 'soon' }), /FENESTRA_REQUEST_DEADLINE="soon" is not a whole number/);
  t.equal(loadConfig({ FENESTRA_WORKERS: '4' }).workers, 4);
  t.ok(loadConfig({ FENESTRA_WORKERS: 'auto' }).workers >= 1);
  t.throws(() => loadConfig({ FENESTRA_WORKERS: 'many' }), /FENESTRA_WORKERS/);
  t.throws(() => loadConfig({ FENESTRA_WORKERS: '0' }), /FENESTRA_WORKERS/);
  t.same(loadConfig({ FENESTRA_TRUSTED_PROXIES: '10.0.0.0/8, ::1', FENESTRA_PROXY_CERT_FORMAT: 'envoy' }).trustedProxies?.format, 'envoy');
  t.throws(() => loadConfig({ FENESTRA_TRUSTED_PROXIES: '10.0.0.0/8' }), /must be set together/);
  t.throws(() => loadConfig({ FENESTRA_TRUSTED_PROXIES: 'not-an-ip', FENESTRA_PROXY_CERT_FORMAT: 'nginx' }), /FENESTRA_TRUSTED_PROXIES/);
  t.throws(() => loadConfig({ FENESTRA_TRUSTED_PROXIES: '10.0.0.1', FENESTRA_PROXY_CERT_FORMAT: 'haproxy' }), /FENESTRA_PROXY_CERT_FORMAT/);
  t.same(loadConfig({ FENESTRA_ADMIN_LISTEN: '127.0.0.1:9443' }).adminListen, { host: '127.0.0.1', port: 9443 });
  t.equal(loadConfig({}).adminListen, undefined, 'no admin listener unless asked');
  t.throws(() => loadConfig({ FENESTRA_ADMIN_LISTEN: '9443' }), /FENESTRA_ADMIN_LISTEN="9443" must be host:port/);
  t.throws(() => loadConfig({ FENESTRA_ADMIN_LISTEN: '0.0.0.0:8443' }), /FENESTRA_ADMIN_LISTEN must use another port/);
  t.equal(loadConfig({ FENESTRA_METRICS_TOKEN: 'm'.repeat(24) }).metricsToken, 'm'.repeat(24));
  t.throws(() => loadConfig({ FENESTRA_METRICS_TOKEN: 'short' }), /FENESTRA_METRICS_TOKEN must be at least 24 characters/);
  t.equal(loadConfig({ FENESTRA_LISTEN: '0.0.0.0:443' }).publicUrl, 'https://localhost', 'no :443 in the default public URL');
  t.equal(loadConfig({ FENESTRA_LISTEN: '127.0.0.1:9443' }).publicUrl, 'https://localhost:9443', 'default public URL follows the port');
  t.equal(loadConfig({ FENESTRA_DATA_DIR: '/srv/fenestra' }).database.kind, 'sqlite');
  t.same(loadConfig({ FENESTRA_DATA_DIR: '/srv/fenestra' }).database, { kind: 'sqlite', file: '/srv/fenestra/fenestra.db' }, 'database follows the data dir');
  t.same(
    loadConfig({ FENESTRA_CERT_VALIDITY_DAYS: '', FENESTRA_ADMIN_TOKEN: '', FENESTRA_SECRET_KEY: '' }),
    loadConfig({}),
    'empty numbers and secrets mean unset',
  );
});

t.test('accepted values', async (t) => {
  const token = STRONG_TOKEN;
  const c = loadConfig({
    FENESTRA_PUBLIC_URL: 'https://MDM.Contoso.com:8443/',
    FENESTRA_LISTEN: '[::1]:8443',
    FENESTRA_DATA_DIR: '/var/lib/fenestra',
    FENESTRA_CERTS_DIR: '/etc/fenestra/certs',
    FENESTRA_DATABASE_URL: 'postgres://fenestra:hunter2@db.internal:5432/fenestra',
    FENESTRA_TLS_CERT: '/etc/tls/cert.pem',
    FENESTRA_TLS_KEY: '/etc/tls/key.pem',
    FENESTRA_CA_CERT: 'ca.pem',
    FENESTRA_CA_KEY: 'ca.key',
    FENESTRA_ADMIN_TOKEN: token,
    FENESTRA_ENTRA_AUTHORITY: 'https://login.microsoftonline.us///',
    FENESTRA_LOG_LEVEL: 'debug',
    FENESTRA_CERT_VALIDITY_DAYS: '90',
    FENESTRA_RENEW_PERIOD_DAYS: ' 30 ',
    FENESTRA_PROVIDER_ID: 'Contoso.MDM_1-a',
    FENESTRA_SECRET_KEY: GOOD_KEY,
    FENESTRA_ENV: 'production',
  });
  t.equal(c.publicUrl, 'https://mdm.contoso.com:8443', 'origin only: host lower-cased, trailing slash dropped');
  t.equal(c.listenHost, '::1');
  t.equal(c.listenPort, 8443);
  t.same(c.database, { kind: 'postgres', url: 'postgres://fenestra:hunter2@db.internal:5432/fenestra' });
  t.same(c.tls, { certFile: '/etc/tls/cert.pem', keyFile: '/etc/tls/key.pem' });
  t.same(c.ca, { certFile: path.resolve('ca.pem'), keyFile: path.resolve('ca.key') }, 'relative paths resolved');
  t.equal(c.adminToken, token);
  t.equal(loadConfig({ FENESTRA_ADMIN_TOKEN: 'x'.repeat(24) }).adminToken, 'x'.repeat(24), 'outside production 24 characters are enough');
  t.equal(c.entraAuthority, 'https://login.microsoftonline.us', 'trailing slashes removed');
  t.equal(c.logLevel, 'debug');
  t.equal(c.certValidityDays, 90);
  t.equal(c.renewPeriodDays, 30);
  t.equal(c.providerId, 'Contoso.MDM_1-a');
  t.equal(c.secretKey, GOOD_KEY);
  t.equal(c.production, true);
  t.same(loadConfig({ FENESTRA_DATABASE_URL: 'postgresql://h/db' }).database, { kind: 'postgres', url: 'postgresql://h/db' });
  t.same(loadConfig({ FENESTRA_DATABASE_URL: 'sqlite:./x/f.db' }).database, { kind: 'sqlite', file: path.resolve('./x/f.db') });
  t.same(loadConfig({ FENESTRA_DATABASE_URL: 'sqlite:///abs/f.db' }).database, { kind: 'sqlite', file: '/abs/f.db' });
  t.equal(loadConfig({ FENESTRA_LISTEN: '127.0.0.1:0' }).listenPort, 0, 'port 0 (ephemeral) for tests');
  t.equal(loadConfig({ FENESTRA_ENTRA_AUTHORITY: 'http://127.0.0.1:1234' }).entraAuthority, 'http://127.0.0.1:1234', 'http authority (local fake Entra)');
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) t.equal(loadConfig({ FENESTRA_LOG_LEVEL: level }).logLevel, level);
  t.equal(
    loadConfig({ FENESTRA_CERT_VALIDITY_DAYS: '1', FENESTRA_RENEW_PERIOD_DAYS: '1000', FENESTRA_ENV: 'test' }).renewPeriodDays,
    1000,
    'range bounds inclusive',
  );
  t.equal(loadConfig({ FENESTRA_CERT_VALIDITY_DAYS: '3650' }).certValidityDays, 3650);
  t.equal(loadConfig({ FENESTRA_PROVIDER_ID: 'p'.repeat(64) }).providerId.length, 64);
});

t.test('each wrong value names its variable', async (t) => {
  const cases: [string, Env, string, RegExp?][] = [
    ['http:// public URL', { FENESTRA_PUBLIC_URL: 'http://mdm.example.com' }, 'FENESTRA_PUBLIC_URL', /https:\/\//],
    ['public URL with a path', { FENESTRA_PUBLIC_URL: 'https://mdm.example.com/mdm' }, 'FENESTRA_PUBLIC_URL', /without path/],
    ['public URL with a query', { FENESTRA_PUBLIC_URL: 'https://mdm.example.com/?a=1' }, 'FENESTRA_PUBLIC_URL', /query/],
    ['public URL with a fragment', { FENESTRA_PUBLIC_URL: 'https://mdm.example.com/#x' }, 'FENESTRA_PUBLIC_URL'],
    ['public URL with credentials', { FENESTRA_PUBLIC_URL: 'https://u:pw@mdm.example.com' }, 'FENESTRA_PUBLIC_URL', /credentials/],
    ['public URL without scheme', { FENESTRA_PUBLIC_URL: 'mdm.example.com' }, 'FENESTRA_PUBLIC_URL', /not a URL/],
    ['empty public URL', { FENESTRA_PUBLIC_URL: '' }, 'FENESTRA_PUBLIC_URL'],
    ['listen garbage', { FENESTRA_LISTEN: 'garbage' }, 'FENESTRA_LISTEN', /host:port/],
    ['listen without host', { FENESTRA_LISTEN: ':8443' }, 'FENESTRA_LISTEN'],
    ['listen without port', { FENESTRA_LISTEN: '0.0.0.0' }, 'FENESTRA_LISTEN'],
    ['listen with a port name', { FENESTRA_LISTEN: '0.0.0.0:https' }, 'FENESTRA_LISTEN'],
    ['listen port too large', { FENESTRA_LISTEN: '0.0.0.0:99999' }, 'FENESTRA_LISTEN', /out of range/],
    ['TLS cert without key', { FENESTRA_TLS_CERT: '/x/cert.pem' }, 'FENESTRA_TLS_KEY', /set together \(got only FENESTRA_TLS_CERT\)/],
    ['TLS key without cert', { FENESTRA_TLS_KEY: '/x/key.pem' }, 'FENESTRA_TLS_CERT', /got only FENESTRA_TLS_KEY/],
    ['CA cert without key', { FENESTRA_CA_CERT: '/x/ca.pem' }, 'FENESTRA_CA_KEY', /got only FENESTRA_CA_CERT/],
    ['CA key without cert', { FENESTRA_CA_KEY: '/x/ca.key' }, 'FENESTRA_CA_CERT', /got only FENESTRA_CA_KEY/],
    ['short admin token', { FENESTRA_ADMIN_TOKEN: 'x'.repeat(23) }, 'FENESTRA_ADMIN_TOKEN', /at least 24/],
    ['authority not a URL', { FENESTRA_ENTRA_AUTHORITY: 'login.microsoftonline.com' }, 'FENESTRA_ENTRA_AUTHORITY', /not an http\(s\) URL/],
    ['authority with another scheme', { FENESTRA_ENTRA_AUTHORITY: 'ftp://login.example.com' }, 'FENESTRA_ENTRA_AUTHORITY'],
    ['bad log level', { FENESTRA_LOG_LEVEL: 'verbose' }, 'FENESTRA_LOG_LEVEL', /must be one of/],
    ['upper-case log level', { FENESTRA_LOG_LEVEL: 'INFO' }, 'FENESTRA_LOG_LEVEL'],
    ['validity days not a number', { FENESTRA_CERT_VALIDITY_DAYS: 'a year' }, 'FENESTRA_CERT_VALIDITY_DAYS', /whole number/],
    ['validity days fractional', { FENESTRA_CERT_VALIDITY_DAYS: '1.5' }, 'FENESTRA_CERT_VALIDITY_DAYS', /whole number/],
    ['validity days negative', { FENESTRA_CERT_VALIDITY_DAYS: '-1' }, 'FENESTRA_CERT_VALIDITY_DAYS'],
    ['validity days zero', { FENESTRA_CERT_VALIDITY_DAYS: '0' }, 'FENESTRA_CERT_VALIDITY_DAYS', /out of range \(1\.\.3650\)/],
    ['validity days too many', { FENESTRA_CERT_VALIDITY_DAYS: '3651' }, 'FENESTRA_CERT_VALIDITY_DAYS', /out of range/],
    ['validity days in hex', { FENESTRA_CERT_VALIDITY_DAYS: '0x10' }, 'FENESTRA_CERT_VALIDITY_DAYS'],
    ['renew period too long', { FENESTRA_RENEW_PERIOD_DAYS: '1001' }, 'FENESTRA_RENEW_PERIOD_DAYS', /out of range \(1\.\.1000\)/],
    ['renew period exponent', { FENESTRA_RENEW_PERIOD_DAYS: '1e2' }, 'FENESTRA_RENEW_PERIOD_DAYS'],
    ['provider id with a space', { FENESTRA_PROVIDER_ID: 'my mdm' }, 'FENESTRA_PROVIDER_ID'],
    ['provider id with markup', { FENESTRA_PROVIDER_ID: 'a"><b' }, 'FENESTRA_PROVIDER_ID'],
    ['provider id with a slash', { FENESTRA_PROVIDER_ID: 'a/b' }, 'FENESTRA_PROVIDER_ID'],
    ['provider id too long', { FENESTRA_PROVIDER_ID: 'p'.repeat(65) }, 'FENESTRA_PROVIDER_ID', /1-64/],
    ['empty provider id', { FENESTRA_PROVIDER_ID: '' }, 'FENESTRA_PROVIDER_ID'],
    ['short secret key', { FENESTRA_SECRET_KEY: crypto.randomBytes(16).toString('base64') }, 'FENESTRA_SECRET_KEY', /32 bytes/],
    ['hex secret key', { FENESTRA_SECRET_KEY: crypto.randomBytes(32).toString('hex') }, 'FENESTRA_SECRET_KEY'],
    ['long secret key', { FENESTRA_SECRET_KEY: crypto.randomBytes(33).toString('base64') }, 'FENESTRA_SECRET_KEY'],
    ['unknown database scheme', { FENESTRA_DATABASE_URL: 'mysql://db/fenestra' }, 'FENESTRA_DATABASE_URL', /sqlite: or postgres:\/\//],
    ['sqlite without a path', { FENESTRA_DATABASE_URL: 'sqlite:' }, 'FENESTRA_DATABASE_URL', /needs a file path/],
    ['bare file path as database', { FENESTRA_DATABASE_URL: './fenestra.db' }, 'FENESTRA_DATABASE_URL'],
  ];
  for (const [name, env, variable, message] of cases) {
    let err: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      err = e;
    }
    t.type(err, ConfigError, `${name}: ConfigError`);
    const problems = (err as ConfigError | undefined)?.problems ?? [];
    t.equal(problems.length, 1, `${name}: exactly one problem (${JSON.stringify(problems)})`);
    t.ok(problems[0]?.includes(variable), `${name}: names ${variable}`);
    if (message) t.match(problems[0], message, `${name}: says what is expected`);
    t.match((err as Error | undefined)?.message, new RegExp(`invalid configuration:\\n  - .*${variable}`), `${name}: in the error message`);
  }
  t.same(problemsOf({ FENESTRA_ADMIN_TOKEN: 'correct horse battery staple' }).length, 1, 'an admin token with spaces is refused');
});

t.test('a database password never appears in a problem', async (t) => {
  const secret = 'Pa55-w0rd-n0t-in-logs';
  const urls = [
    `postgres://fenestra:${secret}@db.internal:5432/fenestra`,
    `postgresql://fenestra:${secret}@db.internal/fenestra?sslmode=require`,
    `postgress://fenestra:${secret}@db.internal/fenestra`,
    `mysql://fenestra:${secret}@db.internal/fenestra`,
    `POSTGRES://fenestra:${secret}@db.internal/fenestra`,
    ` postgres://fenestra:${secret}@db.internal/fenestra`,
  ];
  for (const url of urls) {
    // Add other problems so that the configuration is refused whatever the URL's fate.
    let err: ConfigError | undefined;
    try {
      loadConfig({ FENESTRA_DATABASE_URL: url, FENESTRA_LOG_LEVEL: 'loud', FENESTRA_PUBLIC_URL: 'http://x' });
    } catch (e) {
      err = e as ConfigError;
    }
    t.type(err, ConfigError, `${JSON.stringify(url)}: refused`);
    t.notOk(err!.message.includes(secret), `${JSON.stringify(url)}: not in the message`);
    t.notOk(
      err!.problems.some((p) => p.includes(secret) || p.includes(encodeURIComponent(secret))),
      'not in any problem',
    );
    t.notOk(JSON.stringify(err).includes(secret), 'not in the serialised error');
  }
  t.ok(
    problemsOf({ FENESTRA_DATABASE_URL: urls[2] }).some((p) => p.startsWith('FENESTRA_DATABASE_URL')),
    'a misspelt scheme is reported, without the URL',
  );
});

t.test('the database as logged at start-up: without its password', async (t) => {
  const secret = 'Pa55-w0rd-n0t-in-logs';
  const pg = describeDatabase({ kind: 'postgres', url: `postgres://fenestra:${secret}@db.internal:5432/fenestra?sslmode=require` });
  t.equal(pg, 'postgres://fenestra:***@db.internal:5432/fenestra?sslmode=require');
  t.equal(describeDatabase({ kind: 'postgres', url: 'postgres://db.internal/fenestra' }), 'postgres://db.internal/fenestra');
  t.notOk(describeDatabase({ kind: 'postgres', url: `postgres://u:${secret}@[bad` }).includes(secret), 'an unparsable URL is not shown');
  t.equal(describeDatabase({ kind: 'sqlite', file: '/data/fenestra.db' }), 'sqlite:/data/fenestra.db');
});

t.test('production mode', async (t) => {
  for (const mode of [
    { NODE_ENV: 'production', ...PROD },
    { FENESTRA_ENV: 'production', ...PROD },
  ]) {
    const name = Object.keys(mode)[0];
    const problems = problemsOf(mode);
    t.equal(problems.length, 2, `${name}: two problems`);
    t.ok(problems.includes('FENESTRA_PUBLIC_URL is required in production'), `${name}: public URL required`);
    t.ok(problems.includes('FENESTRA_ADMIN_TOKEN is required in production'), `${name}: admin token required`);
    t.match(problemsOf({ ...mode, FENESTRA_PUBLIC_URL: 'https://mdm.contoso.com' }), ['FENESTRA_ADMIN_TOKEN is required in production']);
    t.match(problemsOf({ ...mode, FENESTRA_ADMIN_TOKEN: STRONG_TOKEN }), ['FENESTRA_PUBLIC_URL is required in production']);
    t.match(
      problemsOf({ ...mode, FENESTRA_PUBLIC_URL: 'https://mdm.contoso.com', FENESTRA_ADMIN_TOKEN: '' }),
      ['FENESTRA_ADMIN_TOKEN is required in production'],
      'empty token is no token',
    );
    const c = loadConfig({ ...mode, FENESTRA_PUBLIC_URL: 'https://mdm.contoso.com', FENESTRA_ADMIN_TOKEN: STRONG_TOKEN });
    t.equal(c.production, true);
    t.equal(c.publicUrl, 'https://mdm.contoso.com');
  }
  t.equal(loadConfig({ NODE_ENV: 'development' }).production, false);
  t.equal(loadConfig({ NODE_ENV: 'test', FENESTRA_ENV: 'development' }).production, false);
  t.same(problemsOf({ FENESTRA_ENV: 'staging' }), ['FENESTRA_ENV="staging" must be one of production, development, test'], 'unknown FENESTRA_ENV refused');
  t.same(problemsOf({ FENESTRA_ENV: 'Production' }).length, 1, 'values are exact');
});

t.test('production refuses an http:// Entra authority, a generated TLS certificate and a weak admin token', async (t) => {
  const base: Env = { NODE_ENV: 'production', FENESTRA_PUBLIC_URL: 'https://mdm.contoso.com', FENESTRA_ADMIN_TOKEN: STRONG_TOKEN, ...PROD };
  t.same(problemsOf(base), [], 'the base is accepted');
  t.same(problemsOf({ ...base, FENESTRA_ENTRA_AUTHORITY: 'https://login.microsoftonline.us' }), []);
  t.same(problemsOf({ ...base, FENESTRA_ENTRA_AUTHORITY: 'http://login.microsoftonline.com' }), ['FENESTRA_ENTRA_AUTHORITY must use https:// in production']);
  t.equal(
    loadConfig({ FENESTRA_ENTRA_AUTHORITY: 'http://127.0.0.1:1234' }).entraAuthority,
    'http://127.0.0.1:1234',
    'outside production http:// is allowed (a local fake Entra)',
  );

  const noTls = { ...base, FENESTRA_TLS_CERT: undefined, FENESTRA_TLS_KEY: undefined };
  const tlsProblems = problemsOf(noTls);
  t.equal(tlsProblems.length, 1);
  t.match(tlsProblems[0], /^FENESTRA_TLS_CERT and FENESTRA_TLS_KEY are required in production/);
  t.same(problemsOf({ ...noTls, FENESTRA_TRUSTED_PROXIES: '10.0.0.5', FENESTRA_PROXY_CERT_FORMAT: 'nginx' }), [], 'unless a proxy terminates TLS');
  t.same(
    problemsOf({ ...noTls, FENESTRA_TLS_CERT: '/x/cert.pem' }),
    ['FENESTRA_TLS_CERT and FENESTRA_TLS_KEY must be set together (got only FENESTRA_TLS_CERT)'],
    'a half pair: one problem',
  );
  t.same(problemsOf({ ...noTls, NODE_ENV: 'development' }), [], 'development generates one');

  const weak: [string, RegExp][] = [
    ['changeme-changeme-changeme-1234', /well-known word "changeme"/],
    ['admin-token-0123456789-abcdefghij', /well-known word "admin"/],
    ['Password1234567890Password1234567890', /well-known word "password"/],
    ['qwertyuiopasdfghjklzxcvbnmqwertyuiop', /well-known word "qwerty"/],
    ['zxcvbnmlkjhgfdsapoiuytrewqzxcvbnmlkjhg', /one character class/],
    ['93846572019384657201938465720193', /one character class/],
    ['aB3$aB3$aB3$aB3$aB3$aB3$aB3$aB3$', /repeated pattern/],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaB1', /fewer than 10 distinct/],
    ['k3Jd9Lx2Qp7Zm4Wv8Ty1', /at least 24 characters/],
    ['k3jd9lx2qp7zm4wv8ty1hs5n', /too short \(about 124 bits; 128 needed\)/],
  ];
  for (const [token, why] of weak) {
    const p = problemsOf({ ...base, FENESTRA_ADMIN_TOKEN: token });
    t.ok(p.length >= 1 && p.every((x) => x.startsWith('FENESTRA_ADMIN_TOKEN')), `${token}: refused, naming the variable (${p.join('; ')})`);
    t.match(p.join('; '), why, `${token}: says why`);
  }
  for (const token of [
    crypto.randomBytes(32).toString('base64'),
    crypto.randomBytes(32).toString('hex'),
    crypto.randomBytes(16).toString('hex'),
    crypto.randomBytes(24).toString('base64url'),
  ]) {
    t.same(problemsOf({ ...base, FENESTRA_ADMIN_TOKEN: token }), [], `${token.length}-character random token accepted`);
  }
  t.same(
    problemsOf({ ...base, FENESTRA_ADMIN_TOKEN: 'changeme-changeme-changeme-1234', NODE_ENV: 'development' }),
    [],
    'outside production only length and spaces are checked',
  );
});

t.test('several problems are reported together', async (t) => {
  const env: Env = {
    NODE_ENV: 'production',
    FENESTRA_LISTEN: 'nonsense',
    FENESTRA_TLS_CERT: '/x/cert.pem',
    FENESTRA_CA_KEY: '/x/ca.key',
    FENESTRA_ENTRA_AUTHORITY: 'not a url',
    FENESTRA_LOG_LEVEL: 'chatty',
    FENESTRA_CERT_VALIDITY_DAYS: 'forever',
    FENESTRA_RENEW_PERIOD_DAYS: '0',
    FENESTRA_PROVIDER_ID: 'bad id!',
    FENESTRA_SECRET_KEY: 'c2hvcnQ=',
    FENESTRA_DATABASE_URL: 'redis://:s3cret@cache/0',
  };
  let err: ConfigError | undefined;
  try {
    loadConfig(env);
  } catch (e) {
    err = e as ConfigError;
  }
  t.type(err, ConfigError);
  const expected = [
    'FENESTRA_LISTEN',
    'FENESTRA_PUBLIC_URL is required in production',
    'FENESTRA_ADMIN_TOKEN is required in production',
    'FENESTRA_ENTRA_AUTHORITY',
    'FENESTRA_LOG_LEVEL',
    'FENESTRA_CERT_VALIDITY_DAYS',
    'FENESTRA_RENEW_PERIOD_DAYS',
    'FENESTRA_PROVIDER_ID',
    'FENESTRA_SECRET_KEY',
    'FENESTRA_DATABASE_URL',
    'FENESTRA_TLS_KEY',
    'FENESTRA_CA_CERT',
  ];
  for (const e of expected)
    t.ok(
      err!.problems.some((p) => p.includes(e)),
      `reports ${e}`,
    );
  t.equal(err!.problems.length, expected.length, 'one problem per mistake, nothing else');
  t.equal(err!.message.split('\n  - ').length - 1, expected.length, 'all of them in the message');
  t.notOk(err!.message.includes('s3cret'), 'no database secret');
});

t.test('unknown FENESTRA_* variables are warned about, with a "did you mean"', async (t) => {
  t.equal(loadConfig({ FENESTRA_ADMIN_TOKEN: STRONG_TOKEN, PATH: '/bin' }).warnings, undefined, 'known and foreign names: no warning');
  t.same(loadConfig({ FENESTRA_ADMIN_TOKN: 'x', FENESTRA_PUBLIC_URI: 'https://x', FENESTRA_BANANA: '1', FENESTRA_LOG_LEVEL_FILE: '/x' }).warnings, [
    'FENESTRA_ADMIN_TOKN is not a fenestra variable and is ignored: did you mean FENESTRA_ADMIN_TOKEN?',
    'FENESTRA_BANANA is not a fenestra variable and is ignored',
    'FENESTRA_LOG_LEVEL_FILE is not a fenestra variable and is ignored: only secrets are read from files (' +
      'FENESTRA_DATABASE_URL_FILE, FENESTRA_ADMIN_TOKEN_FILE, FENESTRA_METRICS_TOKEN_FILE, FENESTRA_SECRET_KEY_FILE, FENESTRA_WNS_CLIENT_SECRET_FILE, FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET_FILE)',
    'FENESTRA_PUBLIC_URI is not a fenestra variable and is ignored: did you mean FENESTRA_PUBLIC_URL?',
  ]);
});

t.test('every FENESTRA_* name in the code is a known variable (one list, config-env.ts)', async (t) => {
  const root = path.join(import.meta.dirname, '..');
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/FENESTRA_[A-Z0-9_]*[A-Z0-9]/g)) names.add(m[0]);
    }
  };
  walk(path.join(root, 'src'));
  const known = new Set(KNOWN_VARS);
  t.same(
    [...names].filter((n) => !known.has(n) && !n.endsWith('_FILE')),
    [],
    'all listed',
  );
  t.ok(names.size > 20);
});

t.test('certificate validity must be longer than the renewal window', async (t) => {
  t.same(problemsOf({ FENESTRA_CERT_VALIDITY_DAYS: '30' }), [
    'FENESTRA_CERT_VALIDITY_DAYS (30) must be longer than FENESTRA_RENEW_PERIOD_DAYS (42): devices would renew at every check-in',
  ]);
  t.same(problemsOf({ FENESTRA_CERT_VALIDITY_DAYS: '42', FENESTRA_RENEW_PERIOD_DAYS: '42' }).length, 1, 'equal: refused');
  t.same(problemsOf({ FENESTRA_CERT_VALIDITY_DAYS: '43', FENESTRA_RENEW_PERIOD_DAYS: '42' }), [], 'one day longer: accepted');
  t.same(problemsOf({ FENESTRA_CERT_VALIDITY_DAYS: '30', FENESTRA_ENV: 'test' }), [], 'FENESTRA_ENV=test allows it (renewal tests)');
});

t.test('a TLS certificate that does not match its key is refused at start-up, naming both variables', async (t) => {
  const fx = (f: string) => path.join(import.meta.dirname, '..', 'fixtures', 'config', f);
  t.same(problemsOf({ FENESTRA_TLS_CERT: fx('tls.pem'), FENESTRA_TLS_KEY: fx('tls-key.pem') }), [], 'matching pair');
  const bad = problemsOf({ FENESTRA_TLS_CERT: fx('tls.pem'), FENESTRA_TLS_KEY: fx('other-key.pem') });
  t.equal(bad.length, 1);
  t.match(bad[0], /^FENESTRA_TLS_CERT \(.*tls\.pem\) and FENESTRA_TLS_KEY \(.*other-key\.pem\) do not match/);
  t.match(problemsOf({ FENESTRA_TLS_CERT: fx('tls-key.pem'), FENESTRA_TLS_KEY: fx('tls-key.pem') }), [/^FENESTRA_TLS_CERT .* holds no PEM certificate/]);
  t.match(
    problemsOf({ FENESTRA_CA_CERT: fx('tls.pem'), FENESTRA_CA_KEY: fx('other-key.pem') }),
    [/FENESTRA_CA_CERT .* and FENESTRA_CA_KEY .* do not match/],
    'the CA pair too',
  );
});

t.test('secrets from files: <NAME>_FILE', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  const metrics = crypto.randomBytes(24).toString('base64url');
  const c = loadConfig({
    FENESTRA_ADMIN_TOKEN_FILE: file('admin', `${STRONG_TOKEN}\n`),
    FENESTRA_SECRET_KEY_FILE: file('key', GOOD_KEY),
    FENESTRA_METRICS_TOKEN_FILE: file('metrics', `${metrics}\r\n`),
    FENESTRA_DATABASE_URL_FILE: file('db', 'postgres://u:s3cret@db/fenestra\n'),
    FENESTRA_WNS_PFN: 'Contoso.App_8wekyb3d8bbwe',
    FENESTRA_WNS_CLIENT_ID: 'ms-app://s-1-15-2-1',
    FENESTRA_WNS_CLIENT_SECRET_FILE: file('wns', 'wns-secret\n'),
  });
  t.equal(c.adminToken, STRONG_TOKEN, 'admin token, trailing newline dropped');
  t.equal(c.secretKey, GOOD_KEY);
  t.equal(c.metricsToken, metrics, 'CRLF dropped');
  t.same(c.database, { kind: 'postgres', url: 'postgres://u:s3cret@db/fenestra' });
  t.equal(c.wns?.clientSecret, 'wns-secret');
  t.equal(c.warnings, undefined, '*_FILE of a secret is a known name');

  t.same(problemsOf({ FENESTRA_ADMIN_TOKEN: STRONG_TOKEN, FENESTRA_ADMIN_TOKEN_FILE: file('a2', STRONG_TOKEN) }), [
    'FENESTRA_ADMIN_TOKEN and FENESTRA_ADMIN_TOKEN_FILE are both set: set one',
  ]);
  const missing = problemsOf({ FENESTRA_SECRET_KEY_FILE: path.join(dir, 'nope') });
  t.match(missing, [/^FENESTRA_SECRET_KEY_FILE=".*nope" cannot be read \(ENOENT\)$/]);
  t.match(
    problemsOf({ FENESTRA_ADMIN_TOKEN_FILE: file('short', 'short') }),
    [/^FENESTRA_ADMIN_TOKEN must be at least 24 characters/],
    'the value is checked as if set directly',
  );
  t.notOk(
    problemsOf({ FENESTRA_DATABASE_URL_FILE: file('bad-db', 'mysql://u:s3cret@h/x') })
      .join()
      .includes('s3cret'),
    'the content is never shown',
  );
});

t.test('start-up logs each configuration warning at warn level', async (t) => {
  const lines: string[] = [];
  const s = await startTestServer({ FENESTRA_ADMIN_TOKN: 'typo' }, { logSink: { write: (l: string) => void lines.push(l) } });
  await s.close();
  const warn = lines.map((l) => JSON.parse(l)).find((l) => l.component === 'config');
  t.match(warn, { level: 40 /* warn */, msg: 'FENESTRA_ADMIN_TOKN is not a fenestra variable and is ignored: did you mean FENESTRA_ADMIN_TOKEN?' });
});
