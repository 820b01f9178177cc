// `fenestra sim`: option errors, and a small fleet against a real server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseSimArgs, type SimSummary } from '../../src/sim/cli.js';
import { runSimHere as sim } from '../helpers/run-sim.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-cli-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

t.test('bad options are explained, exit code 1', async (t) => {
  const pem = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const url = ['--url', 'https://enterpriseenrollment.contoso.com'];
  const cred = ['--username', 'u', '--password', 'p'];
  const cases: [string[], RegExp][] = [
    [[], /--url is required/],
    [['--url', 'http://x.example', ...cred], /https:\/\//],
    [['--url', 'not a url', ...cred], /not a URL/],
    [['--url', 'https://x.example/EnrollmentServer/Discovery.svc', ...cred], /without a path/],
    [[...url], /a credential is required/],
    [[...url, '--username', 'u'], /--username needs --password/],
    [[...url, '--password', 'p'], /--password needs --username/],
    [[...url, ...cred, '--entra-token-file', pem], /not both/],
    [[...url, '--entra-token-file', path.join(dir, 'missing.txt')], /ENOENT/],
    [[...url, '--entra-token-file', file('empty.txt', '\n# comment\n')], /no token/],
    [[...url, '--entra-token-file', file('bad.txt', 'a.b.c\nnot-a-jwt\n')], /line 2 is not a JWT/],
    [[...url, ...cred, '--devices', '0'], /--devices must be an integer of at least 1/],
    [[...url, ...cred, '--devices', 'ten'], /--devices must be an integer/],
    [[...url, ...cred, '--checkins', '-1'], /--checkins must be an integer of at least 0/],
    [[...url, ...cred, '--concurrency'], /--concurrency needs a value/],
    [[...url, ...cred, '--enrollment-type', 'AppManagement'], /Device or Full/],
    [[...url, ...cred, '--auth', 'basic'], /certificate or digest/],
    [[...url, ...cred, '--connect', 'localhost'], /HOST:PORT/],
    [[...url, ...cred, '--connect', 'localhost:99999'], /HOST:PORT/],
    [[...url, ...cred, '--ca', path.join(dir, 'nope.pem')], /--ca .*ENOENT/],
    [[...url, ...cred, '--ca', file('notpem.txt', 'hello')], /no PEM certificate/],
    [[...url, ...cred, '--sign-in'], /--sign-in needs --entra-token-file/],
    [[...url, ...cred, '--max-msg-size', '10'], /at least 1024/],
    [[...url, ...cred, '--frobnicate'], /unknown option "--frobnicate"/],
    [[...url, ...cred, '--url', 'https://y.example'], /--url given twice/],
    [[...url, ...cred, '--json=yes'], /takes no value/],
    [[...url, ...cred, '--frobnicate=3'], /unknown option "--frobnicate"/],
    [[...url, ...cred, '-x'], /unknown option "-x"/],
    [[...url, ...cred, 'extra'], /unexpected argument "extra"/],
    [[...url, '--password', '--json', '--username', 'u'], /--password needs a value/],
    [[...url, ...cred, '--devices'], /--devices needs a value/],
    [[...url, ...cred, '--devices', '-2'], /--devices must be an integer of at least 1, got "-2"/],
    [[...url, ...cred, '--concurrency=1.5'], /--concurrency must be an integer of at least 1, got "1.5"/],
    [[...url, ...cred, '--max-msg-size', '1e6'], /--max-msg-size must be an integer of at least 1024/],
    [[...url, ...cred, '--devices', '9007199254740993'], /--devices must be an integer/],
    [[...url, ...cred, '--devices', '2', '--devices', '3'], /--devices given twice/],
  ];
  for (const [argv, re] of cases) {
    const r = await sim(argv);
    t.equal(r.code, 1, `${argv.join(' ')} → exit 1`);
    t.match(r.out, re, argv.join(' '));
    t.match(r.out, /^fenestra sim: /);
  }
  const help = await sim(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /usage: fenestra sim \[enroll\] --url/);
  t.match((await sim(['-h'])).out, /usage: fenestra sim \[enroll\] --url/, '-h is --help');
});

t.test('defaults, and values as separate or joined arguments', async (t) => {
  const base = ['--url', 'https://enterpriseenrollment.contoso.com/', '--username', 'u', '--password', 'p=q'];
  t.same(parseSimArgs(base), {
    url: 'https://enterpriseenrollment.contoso.com',
    connectTo: undefined,
    ca: undefined,
    devices: 1,
    checkins: 1,
    concurrency: 1,
    credential: { kind: 'password', username: 'u', password: 'p=q' },
    enrollmentType: undefined,
    auth: 'certificate',
    signIn: false,
    maxMsgSize: undefined,
    json: false,
  });
  t.match(parseSimArgs([...base, '--devices=20']), { devices: 20, concurrency: 8 }, 'concurrency defaults to min(devices, 8)');
  const dashed = parseSimArgs([...base.slice(0, 2), '--password=-dash', '--username', 'v']);
  t.match(dashed, { credential: { password: '-dash', username: 'v' } }, 'a value starting with - joined by =');
  t.match(
    parseSimArgs([
      ...base,
      '--checkins',
      '0',
      '--concurrency',
      '3',
      '--connect',
      '[::1]:8443',
      '--auth',
      'digest',
      '--enrollment-type',
      'Full',
      '--max-msg-size',
      '4096',
      '--json',
    ]),
    { checkins: 0, concurrency: 3, connectTo: { host: '::1', port: 8443 }, auth: 'digest', enrollmentType: 'Full', maxMsgSize: 4096, json: true },
  );
});

t.test('a small fleet against a real server', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const ca = file('server-ca.pem', s.caPem);
  const connect = `127.0.0.1:${s.server.port}`;
  const tokens = await Promise.all([0, 1, 2].map((i) => s.entra.mintToken({ tid, aud: AUDIENCE, upn: `user${i}@contoso.com`, deviceid: crypto.randomUUID() })));
  const tokenFile = file('tokens.txt', `# three users, one device each\n${tokens.join('\n')}\n`);

  const r = await sim([
    '--url',
    s.publicUrl,
    '--connect',
    connect,
    '--ca',
    ca,
    '--devices',
    '3',
    '--checkins',
    '2',
    '--entra-token-file',
    tokenFile,
    '--concurrency',
    '2',
    '--json',
  ]);
  const summary = JSON.parse(r.out) as SimSummary;
  t.equal(summary.enrolled, 3);
  t.equal(summary.enrollFailed, 0);
  t.equal(summary.sessions, 6);
  t.equal(r.code, summary.sessionsFailed === 0 ? 0 : 1);
  t.ok(summary.enrollmentMs && summary.enrollmentMs.p50 > 0 && summary.enrollmentMs.p99 >= summary.enrollmentMs.p50);
  if (summary.sessionsFailed === 0) {
    t.ok(summary.messages >= 6);
    t.ok(
      Object.keys(summary.commands).some((k) => k.startsWith('Get ')),
      'inventory Gets counted by verb and status',
    );
  }

  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'carol', password: 'carol-password-1' })).status, 201);
  const text = await sim([
    '--url',
    s.publicUrl,
    '--connect',
    connect,
    '--ca',
    ca,
    '--username',
    'carol',
    '--password',
    'carol-password-1',
    '--checkins',
    '1',
    '--auth',
    'digest',
  ]);
  t.match(text.out, /enrolled\s+1\/1, 0 failed; enrollment p50 [\d.]+ ms, p99 [\d.]+ ms/);
  t.match(text.out, /sessions\s+1: /);
  t.match(text.out, /commands\s+/);

  const refused = await sim(['--url', s.publicUrl, '--connect', connect, '--ca', ca, '--username', 'carol', '--password', 'wrong-password', '--devices', '2']);
  t.equal(refused.code, 1);
  t.match(refused.out, /enrolled\s+0\/2, 2 failed/);
  t.match(refused.out, /2× policy: s:Authentication/);
});
