// Several replicas on one PostgreSQL database, each with its own compliance outbox worker,
// sending the same outbox: no report is sent twice, a device's reports are never under way on
// two replicas at once, and what goes out for a device is in the order its rows were written,
// ending with its newest. The reporter is a stand-in that takes a few milliseconds (as a call to
// Graph would) and asks for another try now and then; the store's claims are what is tested.
import t from 'tap';
import pino from 'pino';
import { ComplianceOutbox, notifyComplianceOutbox } from '../../src/service/compliance/outbox.js';
import type { ReportOutcome } from '../../src/service/compliance/reporter.js';
import { openStore } from '../../src/store/open.js';
import type { ComplianceReport, Store } from '../../src/store/types.js';
import { freshSchema } from '../helpers/pg.js';

const REPLICAS = 3;
const DEVICES = 12;
const FLIPS = 5;

const schema = await freshSchema('outboxreplicas');
const stores: Store[] = await Promise.all(Array.from({ length: REPLICAS }, () => openStore({ kind: 'postgres', url: schema.url })));
t.teardown(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await schema.drop();
});

interface Call {
  replica: number;
  row: ComplianceReport;
  outcome?: ReportOutcome['kind'];
}
const calls: Call[] = [];
const underWay = new Map<string, number>();
const overlaps: string[] = [];
let tick = 0;

const workers = stores.map((store, replica) => {
  const reporter = {
    async report(row: ComplianceReport): Promise<ReportOutcome> {
      if (underWay.has(row.devicePk))
        overlaps.push(`${row.devicePk}: row ${row.id} on replica ${replica} while row ${underWay.get(row.devicePk)} was under way`);
      underWay.set(row.devicePk, row.id);
      const call: Call = { replica, row };
      calls.push(call);
      // A Graph call's latency, so that claims of the replicas interleave.
      await new Promise((r) => setTimeout(r, 10 + (tick++ % 7) * 20));
      underWay.delete(row.devicePk);
      // Every third row's first try is throttled (try again at once).
      call.outcome = row.id % 3 === 0 && row.attempts === 1 ? 'retry' : 'sent';
      return call.outcome === 'retry' ? { kind: 'retry', error: 'Microsoft Graph answered 429', retryAfterMs: 0 } : { kind: 'sent' };
    },
  };
  const w = new ComplianceOutbox({ store, reporter, log: pino({ level: 'silent' }), settings: { pollMs: 25, batch: 2 } });
  w.start();
  return w;
});
t.teardown(() => Promise.all(workers.map((w) => w.stop())));

t.test('three replicas send every device its reports once each, in order, ending with the newest', async (t) => {
  const newest = new Map<string, { id: number; isCompliant: boolean }>();
  // The flips are written through the replicas in turn while their workers run: each round of
  // flips once reports of the previous one are under way, so newer rows meet rows being sent.
  for (let f = 0; f < FLIPS; f++) {
    for (let i = 0; f > 0 && underWay.size === 0; i++) {
      if (i > 2000) throw new Error('no report got under way');
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(
      Array.from({ length: DEVICES }, async (_, d) => {
        const devicePk = `device-${d}`;
        const isCompliant = (f + d) % 2 === 0;
        const id = await stores[(f + d) % REPLICAS]!.complianceOutbox.enqueue(
          { devicePk, tenantId: 'tenant', entraDeviceId: `entra-${d}`, isCompliant, isManaged: true },
          new Date().toISOString(),
        );
        newest.set(devicePk, { id, isCompliant });
      }),
    );
    notifyComplianceOutbox();
  }
  for (let i = 0; ; i++) {
    const latest = await Promise.all([...newest.keys()].map((pk) => stores[0]!.complianceOutbox.latestFor(pk)));
    if (latest.every((r) => r?.state === 'sent')) break;
    if (i > 2000) throw new Error(`not all sent: ${JSON.stringify(latest.filter((r) => r?.state !== 'sent'))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  t.same(overlaps, [], "no device's reports were under way twice at once");
  const sent = calls.filter((c) => c.outcome === 'sent');
  const ids = sent.map((c) => c.row.id);
  t.equal(new Set(ids).size, ids.length, 'no row was sent twice');
  for (const [devicePk, last] of newest) {
    const mine = calls.filter((c) => c.row.devicePk === devicePk).map((c) => c.row.id);
    t.same(
      mine,
      [...mine].sort((a, b) => a - b),
      `${devicePk}: rows went out in the order they were written (${mine.join(', ')})`,
    );
    const lastSent = sent.filter((c) => c.row.devicePk === devicePk).at(-1);
    t.equal(lastSent?.row.id, last.id, `${devicePk}: the newest row was the last sent`);
    t.equal(lastSent?.row.isCompliant, last.isCompliant);
  }
  t.ok(
    calls.some((c) => c.outcome === 'retry'),
    'some reports were tried again',
  );
  t.comment(
    `calls by replica: ${[0, 1, 2].map((r) => calls.filter((c) => c.replica === r).length).join(', ')}; sent ${sent.length} of ${DEVICES * FLIPS} rows`,
  );
});

t.test("a replica does not take a device's newer report while another replica's is under way", async (t) => {
  const s = await freshSchema('outboxpair');
  const pair = await Promise.all([0, 1].map(() => openStore({ kind: 'postgres', url: s.url })));
  t.teardown(async () => {
    await Promise.all(pair.map((x) => x.close()));
    await s.drop();
  });
  const seen: { replica: number; id: number }[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const isStarted = new Promise<void>((r) => (started = r));
  const ws = pair.map(
    (store, replica) =>
      new ComplianceOutbox({
        store,
        log: pino({ level: 'silent' }),
        // Settled by hand below: no timer, no notify.
        settings: { pollMs: 3_600_000 },
        reporter: {
          async report(row: ComplianceReport): Promise<ReportOutcome> {
            seen.push({ replica, id: row.id });
            if (replica === 0) {
              started();
              await held;
            }
            return { kind: 'sent' };
          },
        },
      }),
  );
  const row = (isCompliant: boolean) => ({ devicePk: 'd', tenantId: 'tenant', entraDeviceId: 'entra-d', isCompliant, isManaged: true });
  const a = await pair[0]!.complianceOutbox.enqueue(row(true), new Date().toISOString());
  ws[0]!.start();
  await isStarted;
  const b = await pair[1]!.complianceOutbox.enqueue(row(false), new Date().toISOString());
  ws[1]!.start();
  await ws[1]!.kick();
  t.same(seen, [{ replica: 0, id: a }], 'replica 1 left the newer report alone while the older was under way');
  release();
  await ws[0]!.kick();
  await ws[1]!.kick();
  t.same(
    seen.map((x) => x.id),
    [a, b],
    'then it went, after the older one',
  );
  t.equal((await pair[0]!.complianceOutbox.latestFor('d'))?.state, 'sent');
  await Promise.all(ws.map((w) => w.stop()));
});
