// bench/bypasses: each performance bypass next to the plain path it replaces, measured in one run,
// A and B alternated `--rounds` times (the machine may be shared: read the ranges, not one figure).
// docs/performance.md lists the bypasses and these figures. (The RS256 fast path was measured by
// this bench at commit c16151c and removed: it saved too little.)
//
//   group-commit  SQLite enrollments finishing together: written as one group (the store as it is)
//                 vs one transaction + WAL sync each (each call started in its own event-loop turn,
//                 so every group holds one). Figure: enrollments/s and CPU µs per enrollment.
//   write-behind  Idle check-in turns (two traces, last-seen): buffered and flushed every 50 ms (the
//                 store as it is) vs written at once (flush() after every turn: one transaction per
//                 turn), on SQLite and PostgreSQL. Figure: turns/s and CPU µs per turn.
//
//   npm run -s bench:build && node dist-bench/bench/bypasses.js [--rounds 3] [--only group-commit,write-behind] (PostgreSQL: FENESTRA_TEST_PG)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import type { SessionTurn, Store } from '../src/store/types.js';
import type { Device, IssuedCertificateRecord } from '../src/domain/device.js';
import { freshSchema } from '../test/helpers/pg.js';
import { fmt } from './stats.js';

const argOf = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const rounds = Number(argOf('--rounds') ?? 3);
const only = new Set((argOf('--only') ?? 'group-commit,write-behind').split(','));

/** Wall ms and process CPU µs (all threads: the thread pool's syncs count too) of `fn`. */
async function measure(fn: () => Promise<void>): Promise<{ wallMs: number; cpuUs: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuUs: c.user + c.system };
}

const range = (xs: number[], d = 1) => `${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)}`;

/** A and B alternated `rounds` times; per-operation figures of each, as ranges. */
async function ab(what: string, ops: number, a: [string, () => Promise<void>], b: [string, () => Promise<void>]): Promise<void> {
  const res: Record<string, { perSec: number[]; cpuUs: number[] }> = { [a[0]]: { perSec: [], cpuUs: [] }, [b[0]]: { perSec: [], cpuUs: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of r % 2 === 0 ? [a, b] : [b, a]) {
      const m = await measure(fn);
      res[name].perSec.push((ops * 1000) / m.wallMs);
      res[name].cpuUs.push(m.cpuUs / ops);
    }
  }
  console.log(`  ${what} (${ops} per run, ${rounds} runs each, alternated):`);
  for (const [name, r] of Object.entries(res)) {
    console.log(`    ${name.padEnd(34)} ${range(r.perSec, 0).padStart(13)} /s   CPU ${range(r.cpuUs, 1).padStart(13)} µs each`);
  }
}

const iso = () => new Date().toISOString();
const hex = (n: number) => crypto.randomBytes(n).toString('hex');
const der = crypto.randomBytes(1300).toString('base64');

function device(): Device {
  const deviceId = hex(16).toUpperCase();
  return {
    id: crypto.randomUUID(),
    deviceId,
    enrollmentType: 'Device',
    authMethod: 'entra',
    tenantId: 't',
    userOid: crypto.randomUUID(),
    upn: 'user@contoso.com',
    state: 'enrolled',
    enrolledAt: iso(),
    updatedAt: iso(),
    dmUsername: deviceId,
    dmPasswordDigest: hex(16),
    dmServerName: 'fenestra',
    dmServerDigest: hex(16),
    dmNonce: hex(16),
    principal: `entra-device:t/${crypto.randomUUID()}`,
  };
}

function cert(): IssuedCertificateRecord {
  return {
    serial: hex(16),
    devicePk: '',
    thumbprint: hex(20).toUpperCase(),
    subject: 'CN=device',
    notBefore: iso(),
    notAfter: iso(),
    issuedAt: iso(),
    status: 'active',
    derBase64: der,
  };
}

function sqliteDir(prefix: string): { file: string; done(): void } {
  // os.tmpdir(): a disk here, as a production data directory is (a tmpfs would hide the syncs).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { file: path.join(dir, 'db.sqlite'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function groupCommit(): Promise<void> {
  const N = 400;
  const IN_FLIGHT = 16;
  const db = sqliteDir('fenestra-bypass-gc-');
  const store = openSqliteStore(db.file);
  await store.enrollments.recordEnrollment(device(), cert());
  // `IN_FLIGHT` devices enrolling at once (a wave of Autopilot devices), N in all.
  const wave = async (alone: boolean) => {
    let next = 0;
    // Plain path: a call waits until the group of the one before it has been written (two loop
    // turns on), so each group holds one enrollment: one commit and one WAL sync each, the syncs
    // of different enrollments still overlapping on the thread pool.
    let gate: Promise<unknown> = Promise.resolve();
    const worker = async () => {
      while (next < N) {
        next++;
        if (alone) {
          const turn = gate.then(() => new Promise((r) => setImmediate(() => setImmediate(r))));
          gate = turn;
          await turn;
        }
        await store.enrollments.recordEnrollment(device(), cert());
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  await ab(
    `SQLite enrollments, ${IN_FLIGHT} in flight`,
    N,
    ['group commit (as shipped)', () => wave(false)],
    ['one commit + sync each (plain)', () => wave(true)],
  );
  // One device at a time: groups of one either way (what group commit does at a low rate).
  const lone = async () => {
    for (let i = 0; i < 100; i++) await store.enrollments.recordEnrollment(device(), cert());
  };
  const m = await measure(lone);
  console.log(`    one enrollment at a time (any path)  ${fmt(100_000 / m.wallMs, 0).padStart(13)} /s   CPU ${fmt(m.cpuUs / 100, 1).padStart(13)} µs each`);
  await store.close();
  db.done();
}

async function enrolled(store: Store, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await store.enrollments.recordEnrollment(device(), cert())).id);
  return ids;
}

/** An idle check-in's turn: nothing to send or acknowledge, two traces (in and out), last-seen. */
function idleTurn(devicePk: string, body: string): SessionTurn {
  const at = iso();
  const sessionId = String(Math.floor(Math.random() * 1e6));
  return {
    devicePk,
    at,
    sessionId,
    sessionIsNew: true,
    session: null,
    acks: [],
    sent: [],
    alerts: [],
    enqueue: [],
    traces: [
      { sessionId, msgId: '1', direction: 'in', at, body, truncated: false },
      { sessionId, msgId: '1', direction: 'out', at, body, truncated: false },
    ],
  };
}

async function writeBehind(): Promise<void> {
  const body = `<SyncML>${'x'.repeat(2000)}</SyncML>`; // a package 1 and its reply are 1–3 KB
  const run = async (label: string, store: Store, N: number) => {
    const devices = await enrolled(store, 200);
    const turns = async (inline: boolean) => {
      for (let i = 0; i < N; i++) {
        await store.management.commitTurn(idleTurn(devices[i % devices.length], body));
        if (inline) await store.flush();
      }
      await store.flush();
    };
    await ab(
      `${label}: idle check-in turns, one at a time`,
      N,
      ['write-behind (as shipped)', () => turns(false)],
      ['written in the turn (plain)', () => turns(true)],
    );
  };
  const db = sqliteDir('fenestra-bypass-wb-');
  const sqlite = openSqliteStore(db.file);
  await run('SQLite', sqlite, 3000);
  await sqlite.close();
  db.done();

  const schema = await freshSchema('bypasses');
  const pg = await openPostgresStore(schema.url);
  try {
    await run('PostgreSQL', pg, 1000);
  } finally {
    await pg.close();
    await schema.drop();
  }
}

console.log(
  `fenestra bench/bypasses (${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((x) => fmt(x, 1))
    .join(' ')})`,
);
if (only.has('group-commit')) await groupCommit();
if (only.has('write-behind')) await writeBehind();
