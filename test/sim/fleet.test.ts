// `fenestra sim` with a state file, against a real server: devices enrolled by one run are
// checked in by the next (same DeviceIDs, no new enrollment), receive a queued command, sign two
// users in and out, run as a sustained fleet, take pushes on their WNS channel; a missing or
// damaged state file is refused naming the file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runSimHere as sim } from '../helpers/run-sim.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-fleet-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('a fleet kept in a state file', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, s.caPem);
  const connect = `127.0.0.1:${s.server.port}`;
  const joinTokens = await Promise.all(
    [0, 1].map((i) => s.entra.mintToken({ tid, aud: AUDIENCE, upn: `join${i}@contoso.com`, deviceid: crypto.randomUUID() })),
  );
  const tokenFile = path.join(dir, 'join.txt');
  fs.writeFileSync(tokenFile, joinTokens.join('\n'));
  const state = path.join(dir, 'fleet.json');

  const enrolled = await sim([
    'enroll',
    '--url',
    s.publicUrl,
    '--connect',
    connect,
    '--ca',
    caFile,
    '--devices',
    '2',
    '--entra-token-file',
    tokenFile,
    '--state',
    state,
  ]);
  t.equal(enrolled.code, 0, enrolled.out);
  t.match(enrolled.out, /state\s+2 device\(s\) in .*fleet\.json/);
  t.equal(fs.statSync(state).mode & 0o777, 0o600, 'the state file holds private keys: mode 0600');
  const saved = JSON.parse(fs.readFileSync(state, 'utf8'));
  const ids: string[] = saved.devices.map((d: { deviceId: string }) => d.deviceId);
  t.equal(ids.length, 2);
  t.match(saved.devices[0].privateKeyPem, /BEGIN PRIVATE KEY/);
  t.match(saved.devices[0].enrollment.certificatePem, /BEGIN CERTIFICATE/);
  t.ok(saved.devices[0].enrollment.digest.secret, 'DM credentials kept');
  t.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary file left');
  t.ok(
    saved.devices.every((d: { lastCheckinAt?: string; sessions: number }) => d.sessions === 1 && d.lastCheckinAt),
    'the enrollment run’s check-in is recorded',
  );

  const serverDevices = async () =>
    (await s.admin('GET', '/api/v1/devices?limit=1000')).json.devices as { id: string; deviceId: string; lastSeenAt?: string }[];
  const before = await serverDevices();
  const idOf = (deviceId: string) => before.find((d) => d.deviceId === deviceId)!.id;
  t.same(before.map((d) => d.deviceId).sort(), [...ids].sort(), 'the server knows the two devices');
  const certs = async () => (await s.admin('GET', `/api/v1/devices/${idOf(ids[0])}`)).json.certificate?.serial;
  const serial = await certs();

  t.test('a later run checks the same devices in, without enrolling', async (t) => {
    // The CA comes from the state file: only --connect (the test server's port) is given.
    const r = await sim(['checkin', '--state', state, '--connect', connect]);
    t.equal(r.code, 0, r.out);
    for (const id of ids) t.match(r.out, new RegExp(`device ${id} checked in`));
    t.match(r.out, /sessions\s+2: 2 complete, 0 failed/);
    const after = await serverDevices();
    t.equal(after.length, 2, 'no new device record');
    t.same(after.map((d) => d.deviceId).sort(), [...ids].sort());
    t.equal(await certs(), serial, 'same certificate: no new enrollment');
    t.ok(
      after.every((d) => d.lastSeenAt),
      'both seen',
    );
    t.equal(JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].sessions, saved.devices[0].sessions + 1, 'the session counter was saved');
  });

  t.test('a queued command reaches an existing device', async (t) => {
    t.equal((await s.admin('POST', `/api/v1/devices/${idOf(ids[1])}/commands`, { action: 'reboot' })).status, 201);
    const r = await sim(['checkin', '--state', state, '--connect', connect, '--device', ids[1].slice(0, 12)]);
    t.equal(r.code, 0, r.out);
    t.match(r.out, new RegExp(`device ${ids[1]}: Exec \\S*/Vendor/MSFT/Reboot/RebootNow → 200`));
    t.notMatch(r.out, new RegExp(`device ${ids[0]}`), 'only the device asked for');
    const cmds = (await s.admin('GET', `/api/v1/devices/${idOf(ids[1])}/commands`)).json;
    const reboot = cmds.commands.find((c: { action?: string }) => c.action === 'reboot');
    t.equal(reboot?.status, '200', 'the server has the device’s answer');
    const unknown = await sim(['checkin', '--state', state, '--connect', connect, '--device', 'FFFF0000']);
    t.equal(unknown.code, 1);
    t.match(unknown.out, /state file .*fleet\.json: no device FFFF0000/);
  });

  t.test('two users sign in and out of one device', async (t) => {
    const users = await Promise.all(
      ['alice', 'bob'].map(async (name) => {
        const oid = crypto.randomUUID();
        const file = path.join(dir, `${name}.jwt`);
        fs.writeFileSync(file, await s.entra.mintToken({ tid, aud: AUDIENCE, upn: `${name}@contoso.com`, oid }));
        return { oid, file };
      }),
    );
    const signedIn = async () => (await s.admin('GET', `/api/v1/devices/${idOf(ids[0])}`)).json.signedInUser?.oid;
    const base = ['--state', state, '--connect', connect, '--device', ids[0]];

    let r = await sim(['sign-in', ...base, '--token-file', users[0].file]);
    t.equal(r.code, 0, r.out);
    t.match(r.out, /alice@contoso\.com signed in; at the console: alice@contoso\.com/);
    t.equal(await signedIn(), users[0].oid, 'the server sees alice');

    r = await sim(['sign-in', ...base, '--token-file', users[1].file]);
    t.equal(r.code, 0, r.out);
    t.equal(await signedIn(), users[1].oid, 'bob at the console');

    const list = await sim(['list', '--state', state, '--json']);
    const row = JSON.parse(list.out).devices.find((d: { deviceId: string }) => d.deviceId === ids[0]);
    t.same(row.users, ['alice@contoso.com', 'bob@contoso.com'], 'both users kept in the state file');

    r = await sim(['sign-out', ...base]);
    t.equal(r.code, 0, r.out);
    t.match(r.out, /bob@contoso\.com signed out; at the console: alice@contoso\.com/);
    t.equal(await signedIn(), users[0].oid, 'alice, still signed in, is back');

    r = await sim(['sign-out', ...base, '--user', 'alice@contoso.com', '--json']);
    t.equal(r.code, 0, r.out);
    t.match(JSON.parse(r.out), { deviceId: ids[0], users: [], stats: { sessions: 1, complete: 1, failed: 0 } }, '--json: only the summary, nobody left');
    t.equal(await signedIn(), undefined, 'nobody signed in');

    const none = await sim(['sign-out', ...base]);
    t.equal(none.code, 1);
    t.match(none.out, /nobody is signed in/);
  });

  t.test('run: a sustained fleet for a few cycles', async (t) => {
    const r = await sim(['run', '--state', state, '--connect', connect, '--interval', '100ms', '--cycles', '3', '--json']);
    t.equal(r.code, 0, r.out);
    const summary = JSON.parse(r.out);
    t.equal(summary.devices, 2);
    t.equal(summary.sessions, 6, 'three check-ins of each device');
    t.equal(summary.complete, 6);

    // Without --interval: each device's DMClient Poll schedule (3 min at first), here 3600× faster
    // (50 ms); the server changes one device's schedule, and the device follows the new one.
    const poll = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(saved.devices[0].enrollment.providerId)}/Poll`;
    const q = await s.admin('POST', `/api/v1/devices/${idOf(ids[0])}/commands`, {
      verb: 'Replace',
      items: [{ target: `${poll}/IntervalForFirstSetOfRetries`, format: 'int', data: '2' }],
    });
    t.equal(q.status, 201);
    const polled = await sim(['run', '--state', state, '--connect', connect, '--time-scale', '3600', '--cycles', '2']);
    t.equal(polled.code, 0, polled.out);
    t.match(polled.out, /on their DMClient Poll schedule, 3600× faster/);
    t.match(polled.out, /sessions\s+4: 4 complete/);
    const after = JSON.parse(fs.readFileSync(state, 'utf8')).devices;
    t.match(after[0].poll, { schedule: /^2x5,/, done: 1 }, 'the changed schedule, counted from its change');
    t.match(after[1].poll, { schedule: /^3x5,/, done: 2 });

    // Until stopped: Ctrl-C (here the abort signal) ends the run and prints the summary.
    let seen = 0;
    const stopped = await sim(
      ['run', '--state', state, '--connect', connect, '--interval', '50ms'],
      (text) => (seen = text.split(' checked in').length - 1) >= 4,
    );
    t.ok(seen >= 4, 'it kept checking in until stopped');
    t.match(stopped.out, /fenestra sim run: 2 device\(s\)/);
    t.match(stopped.out, /sessions\s+\d+: \d+ complete, 0 failed/);
  });

  t.test('push: the device reports its channel and checks in when notified', async (t) => {
    const dm = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(saved.devices[0].enrollment.providerId)}/Push`;
    // The server side of push is not ours: the PFN Replace and the Gets it sends are queued raw here.
    t.equal(
      (await s.admin('POST', `/api/v1/devices/${idOf(ids[0])}/commands`, { verb: 'Replace', items: [{ target: `${dm}/PFN`, data: 'Contoso.MDM_abc' }] }))
        .status,
      201,
    );
    t.equal(
      (await s.admin('POST', `/api/v1/devices/${idOf(ids[0])}/commands`, { verb: 'Get', items: [{ target: `${dm}/ChannelURI` }, { target: `${dm}/Status` }] }))
        .status,
      201,
    );

    let channel: string | undefined;
    const posts: Promise<void>[] = [];
    const results: Record<string, number> = {};
    const post = async (name: string, url: string, headers: Record<string, string>) => {
      results[name] = (await fetch(url, { method: 'POST', headers, body: '<wake/>' })).status;
    };
    const r = await sim(
      ['checkin', '--state', state, '--connect', connect, '--device', ids[0], '--push-listen', '127.0.0.1:0', '--duration', '20s', '--verbose'],
      (text) => {
        if (!channel) {
          const m = /push channels: (http:\/\/127\.0\.0\.1:\d+)\/wns\/<DeviceID>/.exec(text);
          if (m && /waiting for pushes/.test(text)) {
            channel = m[1];
            const ok = { 'x-wns-type': 'wns/raw', authorization: 'Bearer token-from-wns', 'content-type': 'application/octet-stream' };
            posts.push(
              (async () => {
                await post('no type', `${channel}/wns/${ids[0]}`, { authorization: ok.authorization });
                await post('toast', `${channel}/wns/${ids[0]}`, { ...ok, 'x-wns-type': 'wns/toast' });
                await post('no token', `${channel}/wns/${ids[0]}`, { 'x-wns-type': 'wns/raw' });
                await post('unknown device', `${channel}/wns/0000`, ok);
                await post('raw', `${channel}/wns/${ids[0]}`, ok);
              })(),
            );
          }
        }
        return /push → device \S+ checked in/.test(text);
      },
    );
    await Promise.all(posts);
    t.equal(r.code, 0, r.out);
    t.same(results, { 'no type': 400, toast: 400, 'no token': 400, 'unknown device': 404, raw: 200 });
    t.match(r.out, new RegExp(`device ${ids[0]}: Replace ${dm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/PFN → 200`));
    t.match(r.out, new RegExp(`push → device ${ids[0]} checked in`));
    t.match(r.out, /pushes taken 1/);
    const cmds = (await s.admin('GET', `/api/v1/devices/${idOf(ids[0])}/commands`)).json;
    const get = cmds.commands.find((c: { origin: string; payload: { kind: string } }) => c.origin === 'admin' && c.payload.kind === 'Get');
    t.same(
      get?.results.map((x: { data: string }) => x.data),
      [`${channel}/wns/${ids[0]}`, '0'],
      'after the PFN: ChannelURI is the listener’s channel for the device, Status 0',
    );
    t.equal(
      JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].tree.device.children.Vendor.children.MSFT.children.DMClient.children.Provider.children[
        saved.devices[0].enrollment.providerId
      ].children.Push.children.PFN.value,
      'Contoso.MDM_abc',
      'the PFN is kept in the state file',
    );
  });

  t.test('digest devices keep their nonce; a later enrollment adds to the file', async (t) => {
    t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'dave', password: 'dave-password-1' })).status, 201);
    const digest = path.join(dir, 'digest.json');
    const base = ['--url', s.publicUrl, '--connect', connect, '--ca', caFile, '--username', 'dave', '--password', 'dave-password-1', '--auth', 'digest'];
    t.equal((await sim(['enroll', ...base, '--state', digest])).code, 0);
    const nonce = JSON.parse(fs.readFileSync(digest, 'utf8')).devices[0].enrollment.digest.nonce;
    for (const n of [1, 2]) {
      const r = await sim(['checkin', '--state', digest]);
      t.equal(r.code, 0, `digest session ${n} from the saved nonce: ${r.out}`);
    }
    t.not(JSON.parse(fs.readFileSync(digest, 'utf8')).devices[0].enrollment.digest.nonce, nonce, 'the server’s NextNonce is saved');
    t.notMatch(fs.readFileSync(digest, 'utf8'), /dave-password-1/, 'the enrollment password is not kept');

    const more = await sim(['enroll', ...base, '--devices', '2', '--state', digest]);
    t.equal(more.code, 0, more.out);
    t.match(more.out, /state\s+3 device\(s\)/);
    t.equal(JSON.parse(fs.readFileSync(digest, 'utf8')).devices.length, 3);
  });

  t.test('a missing or damaged state file is refused, naming the file', async (t) => {
    const cases: [string, string | undefined, RegExp][] = [
      ['missing.json', undefined, /not found/],
      ['garbage.json', '{"kind": "fenestra-sim-state", ', /not JSON/],
      ['other.json', '{"hello": 1}', /not a fenestra sim state file/],
      [
        'bad-key.json',
        JSON.stringify({ ...saved, devices: [{ ...saved.devices[0], privateKeyPem: 'nope' }] }),
        /devices\[0\]\.privateKeyPem: not a private key/,
      ],
      [
        'bad-tree.json',
        JSON.stringify({ ...saved, devices: [{ ...saved.devices[0], tree: { device: { format: 7 }, users: {} } }] }),
        /devices\[0\] \(\w+\): device\.format: not a string/,
      ],
    ];
    for (const [name, content, re] of cases) {
      const f = path.join(dir, name);
      if (content !== undefined) fs.writeFileSync(f, content);
      const r = await sim(['checkin', '--state', f]);
      t.equal(r.code, 1, name);
      t.match(r.out, new RegExp(`state file ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), `${name}: the file is named`);
      t.match(r.out, re, name);
    }
    const other = await sim(['enroll', '--url', 'https://enterpriseenrollment.fabrikam.com', '--username', 'u', '--password', 'p', '--state', state]);
    t.equal(other.code, 1);
    t.match(other.out, /holds devices of https:\/\/enterpriseenrollment\.\S+, not https:\/\/enterpriseenrollment\.fabrikam\.com/);
    t.match((await sim(['checkin'])).out, /needs --state FILE/);

    // One run at a time per file: a live lock refuses, a stale one is taken over.
    t.notOk(fs.existsSync(`${state}.lock`), 'no lock left by the runs above');
    fs.writeFileSync(`${state}.lock`, `${process.pid}\n`);
    const busy = await sim(['checkin', '--state', state, '--connect', connect]);
    t.equal(busy.code, 1);
    t.match(busy.out, new RegExp(`state file .*fleet\\.json: in use by another fenestra sim \\(process ${process.pid}\\)`));
    t.equal((await sim(['list', '--state', state])).code, 0, 'list only reads: no lock needed');
    fs.writeFileSync(`${state}.lock`, '2147483646\n');
    const stale = await sim(['sign-out', '--state', state, '--connect', connect, '--device', ids[1]]);
    t.match(stale.out, /nobody is signed in/, 'a stale lock is taken over');
    t.notOk(fs.existsSync(`${state}.lock`), 'and released, even after a refusal');
    t.match((await sim(['run', '--state', state, '--interval', 'soon'])).out, /--interval must be a duration/);
    t.match((await sim(['sign-in', '--state', state, '--device', ids[0]])).out, /needs --token-file/);
  });
});

t.test('fleet subcommands: bad options are explained before the state file is read', async (t) => {
  const f = ['--state', path.join(dir, 'never-written.json')];
  const cases: [string[], RegExp][] = [
    [['run', ...f, '--interval', '0s'], /--interval must be a duration/],
    [['run', ...f, '--interval', '30s', '--time-scale', '60'], /--time-scale shortens the Poll schedule: not with --interval/],
    [['run', ...f, '--cycles', '0'], /--cycles must be an integer of at least 1/],
    [['run', ...f, '--duration', '-5s'], /--duration must be a duration/],
    [['run', ...f, '--device', 'A', '--all'], /either --device or --all/],
    [['checkin', ...f, '--duration', '10s'], /needs --push-listen/],
    [['checkin', ...f, '--push-listen', '1.2.3.4'], /--push-listen must be HOST:PORT/],
    [['checkin', ...f, '--concurrency', '0'], /--concurrency must be an integer of at least 1/],
    [['checkin', ...f, '--interval', '1s'], /unknown option "--interval"/],
    [['sign-in', ...f, '--device', 'A'], /needs --token-file/],
    [['sign-in', ...f, '--token-file', 'x'], /needs --device/],
    [['sign-out', ...f, '--device', 'A', '--device', 'B'], /--device given twice/],
    [['list', ...f, 'extra'], /unexpected argument "extra"/],
  ];
  for (const [argv, re] of cases) {
    const r = await sim(argv);
    t.equal(r.code, 1, argv.join(' '));
    t.match(r.out, re, argv.join(' '));
    t.notMatch(r.out, /state file/, `${argv.join(' ')}: the option is named, not the file`);
  }
  t.match((await sim(['run', '--help'])).out, /fenestra sim run --state FILE: a sustained fleet/);
});
