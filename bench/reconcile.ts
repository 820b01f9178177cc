// bench/reconcile: how fast profile changes reach a fleet.
//
//   npm run bench:reconcile [-- --devices 100000 --users 3 --iterations 2000]
//
// (1) Fleet: devices in a SQLite file, each with `--users` Entra users who already have every
//     profile (delivery rows at version 1): one device-scope profile and three user-scope ones
//     (Wi-Fi, mail, custom), all assigned to "all". One of them (the Wi-Fi) is changed through the
//     ProfileService, as the admin API does. Printed: the time of the change itself (after which
//     every device's next session computes its delta) and the time for a sweep that computes the
//     delta of every (device, user) pair through the reconciler — the same code a session runs,
//     reading each device's delivery rows from the store — checking that each delta is exactly
//     the changed node and its read-back.
// (2) Per session: the plan of one (device, user) with 20 assigned profiles of every kind,
//     (a) first delivery (everything), (b) one profile changed, (c) nothing changed, p50/p99.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProfileService } from '../src/service/profiles.js';
import { Reconciler } from '../src/service/reconcile/index.js';
import { planSession } from '../src/service/reconcile/plan.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Device } from '../src/domain/device.js';
import type { ProfileDelivery } from '../src/domain/profile.js';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fmt, summarize } from './stats.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DEVICES = arg('devices', 100_000);
const USERS = arg('users', 3);
const ITER = arg('iterations', 2000);
const WORKERS = arg('workers', os.cpus().length);
const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp');
const ROOT_PEM = fs.readFileSync(path.join(FIX, 'test-root-ca.pem'), 'utf8');
const PFX = fs.readFileSync(path.join(FIX, 'test-user.pfx.b64'), 'utf8').trim();
const ms = (t0: number) => performance.now() - t0;
const rss = () => process.memoryUsage().rss / 1048576;

const wifi = (ssid: string, proxy?: string) => ({ ssid, security: 'WPA2PSK', passphrase: 'correct horse battery', ...(proxy ? { proxy } : {}) });
const mail = (n: number) => ({
  accountId: `acct-${n}`,
  accountName: `Mail ${n}`,
  emailAddress: `user${n}@contoso.com`,
  serviceType: 'IMAP4',
  incoming: { host: 'imap.contoso.com', port: 993 },
  outgoing: { host: 'smtp.contoso.com', port: 587, ssl: true },
  userName: `user${n}@contoso.com`,
  password: 'M@il-secret',
});
const policy = (scope: 'user' | 'device', n: number) => ({
  nodes: [{ locUri: `./${scope === 'user' ? 'User' : 'Device'}/Vendor/MSFT/Policy/Config/Bench/Setting${n}`, format: 'int', value: String(n) }],
});

async function fleet(dir: string) {
  const store = openSqliteStore(path.join(dir, 'fleet.db'));
  const key = crypto.randomBytes(32);
  const profiles = new ProfileService(store, key);
  const created = [
    await profiles.create({ name: 'Device policy', kind: 'custom', scope: 'device', settings: policy('device', 1) }, 'bench'),
    await profiles.create({ name: 'Office Wi-Fi', kind: 'wifi', scope: 'user', settings: wifi('Office') }, 'bench'),
    await profiles.create({ name: 'Mail', kind: 'email', scope: 'user', settings: mail(1) }, 'bench'),
    await profiles.create({ name: 'User policy', kind: 'custom', scope: 'user', settings: policy('user', 2) }, 'bench'),
  ];
  for (const p of created) await profiles.assign(p.id, { targetType: 'all' }, 'bench');
  const changed = created[1];

  // Seed devices and their delivery rows directly (same schema the server writes).
  const t0 = performance.now();
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(path.join(dir, 'fleet.db'));
  const insDev = raw.prepare(
    `INSERT INTO devices (id, device_id, enrollment_type, auth_method, state, enrolled_at, updated_at, dm_username, dm_password_digest,
       dm_server_name, dm_server_digest, dm_nonce) VALUES (?, ?, 'Device', 'entra', 'enrolled', ?, ?, ?, 'x', 'fenestra', 'x', 'bm9uY2U=')`,
  );
  const insRow = raw.prepare(
    `INSERT INTO profile_deliveries (device_pk, user_key, profile_id, version, applied_version, status, updated_at) VALUES (?, ?, ?, 1, 1, 'verified', ?)`,
  );
  const at = new Date().toISOString();
  const users = (i: number) => usersOf(i, USERS);
  raw.transaction(() => {
    for (let i = 0; i < DEVICES; i++) {
      const id = `dev-${i}`;
      insDev.run(id, `BENCH${i}`, at, at, `BENCH${i}`);
      insRow.run(id, '', created[0].id, at);
      for (const u of users(i)) for (const p of created.slice(1)) insRow.run(id, u, p.id, at);
    }
  })();
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  const seedS = ms(t0) / 1000;
  const dbMiB =
    (fs.statSync(path.join(dir, 'fleet.db')).size + (fs.existsSync(path.join(dir, 'fleet.db-wal')) ? fs.statSync(path.join(dir, 'fleet.db-wal')).size : 0)) /
    1048576;

  // The change, as the admin API makes it.
  const reconciler = new Reconciler(store, key);
  await reconciler.catalog.snapshot();
  const t1 = performance.now();
  await profiles.change(changed.id, { settings: { ...wifi('Office', 'proxy.contoso.com:8080'), passphrase: '********' } }, 'bench');
  await reconciler.catalog.snapshot(); // the next session sees the new generation and compiles once
  const changeMs = ms(t1);

  await store.close();
  const file = path.join(dir, 'fleet.db');
  const one = await sweepWith(1, file, key);
  const many = await sweepWith(WORKERS, file, key);
  return { seedS, dbMiB, changeMs, one, many };
}

/** The sweep split over `n` worker threads (as FENESTRA_WORKERS splits sessions over processes). */
async function sweepWith(n: number, file: string, key: Buffer) {
  const t0 = performance.now();
  const per = Math.ceil(DEVICES / n);
  const parts = await Promise.all(
    Array.from(
      { length: n },
      (_, w) =>
        new Promise<SweepResult>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { file, key, from: w * per, to: Math.min(DEVICES, (w + 1) * per), users: USERS } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  return {
    ms: ms(t0),
    pairs: parts.reduce((a, p) => a + p.pairs, 0),
    wrong: parts.reduce((a, p) => a + p.wrong, 0),
    cpuMs: parts.reduce((a, p) => a + p.cpuMs, 0),
  };
}

interface SweepResult {
  pairs: number;
  wrong: number;
  cpuMs: number;
}

const usersOf = (i: number, n: number) => Array.from({ length: n }, (_, u) => `00000000-0000-4000-8000-${String(i * 10 + u).padStart(12, '0')}`);

/** Every (device, user) delta of a range of devices, computed the way a session computes it. */
async function sweep(o: { file: string; key: Uint8Array; from: number; to: number; users: number }): Promise<SweepResult> {
  const cpu0 = process.cpuUsage();
  const store = openSqliteStore(o.file);
  const reconciler = new Reconciler(store, Buffer.from(o.key));
  const at = new Date().toISOString();
  let pairs = 0;
  let wrong = 0;
  const page = 1000;
  for (let off = o.from; off < o.to; off += page) {
    for (const d of await store.devices.list({ limit: Math.min(page, o.to - off), offset: off })) {
      const i = Number(d.id.slice(4));
      const rows = await store.deliveries.forDevice(d.id);
      for (const u of usersOf(i, o.users)) {
        const sp = await reconciler.plan(d, { key: u, oid: u }, { userPresent: true, at, rows, force: true });
        const cmds = sp!.plan.commands;
        pairs++;
        // Exactly: the new Proxy leaf for this user, and its read-back.
        if (
          cmds.length !== 2 ||
          cmds[0].payload.kind !== 'Add' ||
          !cmds[0].payload.items?.[0].target.endsWith('/WiFi/Profile/Office/Proxy') ||
          cmds[1].payload.kind !== 'Get'
        )
          wrong++;
      }
    }
  }
  await store.close();
  const cpu = process.cpuUsage(cpu0);
  return { pairs, wrong, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function perSession(dir: string) {
  const store = openSqliteStore(path.join(dir, 'session.db'));
  const key = crypto.randomBytes(32);
  const profiles = new ProfileService(store, key);
  const ids: string[] = [];
  const add = async (name: string, kind: string, scope: string, settings: Record<string, unknown>) => {
    const p = await profiles.create({ name, kind, scope, settings }, 'bench');
    await profiles.assign(p.id, { targetType: 'all' }, 'bench');
    ids.push(p.id);
    return p;
  };
  await add('Root', 'certificate', 'device', { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM });
  await add('User cert', 'certificate', 'user', { ref: 'user-cert', type: 'pfx', pfxBase64: PFX, password: 'Pfx-Passw0rd' });
  for (let n = 0; n < 4; n++)
    await add(`VPN ${n}`, 'vpn', 'user', {
      name: `VPN ${n}`,
      servers: [`vpn${n}.contoso.com`],
      tunnelType: 'IKEv2',
      routing: { mode: 'split', routes: [{ address: '10.0.0.0', prefixSize: 8 }] },
      authentication: { method: 'eap-tls', certificateRef: 'user-cert', serverTrust: { rootCertificateRefs: ['corp-root'] } },
    });
  for (let n = 0; n < 4; n++) await add(`Wi-Fi ${n}`, 'wifi', 'user', wifi(`Office ${n}`));
  for (let n = 0; n < 3; n++) await add(`Mail ${n}`, 'email', 'user', mail(n));
  await add('Hello', 'hello', 'device', { tenantId: crypto.randomUUID(), enabled: true, pin: { minimumLength: 6 } });
  for (let n = 0; n < 6; n++) await add(`Policy ${n}`, 'custom', n % 2 ? 'user' : 'device', policy(n % 2 ? 'user' : 'device', n + 10));
  const reconciler = new Reconciler(store, key);
  const snap = await reconciler.catalog.snapshot();
  const user = { key: 'u1', oid: 'u1' };
  const device: Pick<Device, 'id' | 'deviceId' | 'enrollmentType'> = { id: 'dev', deviceId: 'DEV', enrollmentType: 'Device' };
  const at = new Date().toISOString();
  const seal = (v: string) => v;
  const time = (rows: ProfileDelivery[], base: (id: string, v: number) => null | undefined | import('../src/protocol/csp/types.js').CompiledProfile) => {
    const lat: number[] = [];
    let commands = 0;
    for (let i = 0; i < ITER; i++) {
      const t0 = performance.now();
      const p = planSession({ snap, device, user, userPresent: true, rows, base, at, seal });
      lat.push(ms(t0));
      commands = p.commands.length;
    }
    return { ...summarize(lat), commands };
  };
  const all = [...snap.profiles.values()];
  const delivered = all.map((p): ProfileDelivery => ({
    devicePk: 'dev',
    userKey: p.scope === 'device' ? '' : 'u1',
    profileId: p.id,
    version: p.version,
    appliedVersion: p.version,
    status: 'verified',
    updatedAt: at,
  }));
  const first = time([], () => null);
  const idle = time(delivered, () => null);
  // One profile (a Wi-Fi) changed: its row is one version behind; the old version is the base.
  const wifiId = all.find((p) => p.kind === 'wifi')!.id;
  const before = snap.profiles.get(wifiId)!.compiled;
  await profiles.change(wifiId, { settings: { ...wifi('Office 0', 'proxy.contoso.com:8080'), passphrase: '********' } }, 'bench');
  const snap2 = await reconciler.catalog.snapshot();
  const behind = delivered.map((r) =>
    r.profileId === wifiId ? r : { ...r, version: snap2.profiles.get(r.profileId)!.version, appliedVersion: snap2.profiles.get(r.profileId)!.version },
  );
  const lat: number[] = [];
  let commands = 0;
  for (let i = 0; i < ITER; i++) {
    const t0 = performance.now();
    const p = planSession({
      snap: snap2,
      device,
      user,
      userPresent: true,
      rows: behind,
      base: (id, v) => (id === wifiId && v === 1 ? before : null),
      at,
      seal,
    });
    lat.push(ms(t0));
    commands = p.commands.length;
  }
  const changed = { ...summarize(lat), commands };
  // Through the reconciler with the store read of the rows, as a session does it.
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(path.join(dir, 'session.db'));
  raw
    .prepare(
      `INSERT INTO devices (id, device_id, enrollment_type, auth_method, state, enrolled_at, updated_at, dm_username, dm_password_digest,
       dm_server_name, dm_server_digest, dm_nonce) VALUES ('dev', 'DEV', 'Device', 'entra', 'enrolled', ?, ?, 'DEV', 'x', 'fenestra', 'x', 'bm9uY2U=')`,
    )
    .run(at, at);
  raw.close();
  await store.deliveries.put(behind);
  const full: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const t0 = performance.now();
    await reconciler.plan({ ...device, entraDeviceId: undefined, userOid: undefined, upn: undefined, planMark: undefined }, user, { userPresent: true, at });
    full.push(ms(t0));
  }
  await store.close();
  return { profiles: ids.length, first, idle, changed, withStore: summarize(full) };
}

if (!isMainThread) {
  parentPort!.postMessage(await sweep(workerData));
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-reconcile-'));
  try {
    console.log(`bench/reconcile — ${os.cpus().length} CPUs, Node ${process.version}`);
    const s = await perSession(dir);
    console.log(`per session, one (device, user) with ${s.profiles} assigned profiles (plan only, ${ITER} runs):`);
    const line = (name: string, r: { p50: number; p99: number; commands?: number }) =>
      console.log(`  ${name}: p50 ${fmt(r.p50 * 1000, 0)} µs, p99 ${fmt(r.p99 * 1000, 0)} µs${r.commands !== undefined ? `, ${r.commands} commands` : ''}`);
    line('first delivery (all 20)', s.first);
    line('one profile changed', s.changed);
    line('nothing changed (full comparison; sessions normally skip it by the plan mark)', s.idle);
    line('one changed, through the reconciler incl. the store read of the rows', s.withStore);
    const f = await fleet(dir);
    console.log(`fleet: ${DEVICES} devices × ${USERS} users, 4 profiles assigned to all (seeded in ${fmt(f.seedS, 1)} s, ${fmt(f.dbMiB, 0)} MiB)`);
    console.log(
      `  change of one profile (validate, compile, store version, bump generation, recompile catalog): ${fmt(f.changeMs, 1)} ms — from here every session computes its delta`,
    );
    for (const [label, r] of [
      ['1 thread', f.one],
      [`${WORKERS} threads`, f.many],
    ] as const) {
      console.log(
        `  sweep computing every delta, ${label}: ${r.pairs} (device, user) pairs in ${fmt(r.ms / 1000, 2)} s (${fmt(r.pairs / (r.ms / 1000), 0)} pairs/s, CPU ${fmt(r.cpuMs / 1000, 2)} s, ${fmt((r.cpuMs * 1000) / r.pairs, 0)} µs CPU per pair), wrong deltas: ${r.wrong}`,
      );
    }
    const best = Math.min(f.one.ms, f.many.ms);
    console.log(
      `  target: every delta computed in under 10 s → ${best < 10_000 && f.one.wrong + f.many.wrong === 0 ? 'met' : 'NOT met'} (${fmt(best / 1000, 2)} s); RSS ${fmt(rss(), 0)} MiB`,
    );
  } finally {
    if (process.env.BENCH_KEEP) console.log(`  kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
