// The outbox of compliance reports in the store (ComplianceOutboxStore), on SQLite and
// PostgreSQL alike: a device's newest pending row is the one claimed (older ones superseded), a
// row under way keeps its device's newer rows waiting, leases run out, outcomes are recorded,
// and a refusal (or a report that went through) shows on the tenant.
import t from 'tap';
import { storeFor, STORE_KINDS } from '../helpers/fresh-store.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const TENANT = '11111111-2222-3333-4444-555555555555';

const row = (devicePk: string, isCompliant: boolean) => ({ devicePk, tenantId: TENANT, entraDeviceId: `${devicePk}-entra`, isCompliant, isManaged: true });

for (const kind of STORE_KINDS) {
  t.test(kind, async (t) => {
    t.test('two flips of one device: only the newest is claimed, the older superseded', async (t) => {
      const store = await storeFor(t, kind, 'outbox');
      const o = store.complianceOutbox;
      const first = await o.enqueue(row('d1', true), at(0));
      const second = await o.enqueue(row('d1', false), at(1));
      const other = await o.enqueue(row('d2', true), at(1));
      t.equal(await o.nextDue(), at(0));
      t.same(await o.claim(at(0), at(300), 10), [], 'd1 at 0 s is superseded by its newer row, due at 1 s: nothing to claim at 0 s');
      const claimed = await o.claim(at(2), at(302), 10);
      t.same(
        claimed.map((r) => [r.id, r.isCompliant, r.attempts]),
        [
          [second, false, 1],
          [other, true, 1],
        ],
      );
      t.equal((await o.latestFor('d1'))?.id, second);
      t.same(await o.claim(at(3), at(303), 10), [], 'claimed rows are leased');
      t.equal(await o.sent(second, at(4)), true);
      t.equal(await o.sent(second, at(5)), false, 'a row is sent once');
      const latest = await o.latestFor('d1');
      t.match(latest, { id: second, state: 'sent', sentAt: at(4), isCompliant: false, isManaged: true, entraDeviceId: 'd1-entra', tenantId: TENANT });
      // The first row is superseded for good; d2's lease runs out at 302 and only d2 comes back.
      t.same(
        (await o.claim(at(1000), at(1300), 10)).map((r) => r.id),
        [other],
      );
      t.not(first, second);
    });

    t.test('a row under way keeps its device waiting; once settled, the newer one goes', async (t) => {
      const store = await storeFor(t, kind, 'outbox');
      const o = store.complianceOutbox;
      const a = await o.enqueue(row('d1', true), at(0));
      t.same(
        (await o.claim(at(0), at(300), 10)).map((r) => r.id),
        [a],
      );
      const c = await o.enqueue(row('d1', false), at(1));
      t.same(await o.claim(at(2), at(302), 10), [], 'the newer row waits while the older is under way');
      t.equal(await o.sent(a, at(3)), true, 'the older row, under way, is recorded sent (not superseded meanwhile)');
      t.same(
        (await o.claim(at(4), at(304), 10)).map((r) => r.id),
        [c],
        'then the newer one is claimed: the order on the wire is the order of the rows',
      );
    });

    t.test('a failure with a newer row waiting: the older is superseded, never sent after', async (t) => {
      const store = await storeFor(t, kind, 'outbox');
      const o = store.complianceOutbox;
      const a = await o.enqueue(row('d1', true), at(0));
      await o.claim(at(0), at(300), 10);
      const c = await o.enqueue(row('d1', false), at(1));
      await o.retry(a, at(2), 'Microsoft Graph answered 429');
      const claimed = await o.claim(at(5), at(305), 10);
      t.same(
        claimed.map((r) => r.id),
        [c],
      );
      await o.sent(c, at(6));
      t.same(await o.claim(at(9999), at(99999), 10), [], 'the older row is gone for good');
      t.equal(await o.nextDue(), undefined);
    });

    t.test('retry: due again at its time, attempts counted; a lease that runs out frees the row', async (t) => {
      const store = await storeFor(t, kind, 'outbox');
      const o = store.complianceOutbox;
      const a = await o.enqueue(row('d1', true), at(0));
      await o.claim(at(0), at(300), 10);
      await o.retry(a, at(60), 'no answer from graph.microsoft.com: ECONNREFUSED');
      t.equal(await o.nextDue(), at(60));
      t.same(await o.claim(at(59), at(359), 10), []);
      const again = await o.claim(at(60), at(360), 10);
      t.same(
        again.map((r) => [r.id, r.attempts]),
        [[a, 2]],
      );
      t.equal(await o.nextDue(), at(360), 'a leased row is due when its lease runs out');
      t.same(await o.claim(at(359), at(659), 10), [], 'leased');
      const taken = await o.claim(at(360), at(660), 10);
      t.same(
        taken.map((r) => [r.id, r.attempts]),
        [[a, 3]],
        'its claimer died: another takes it',
      );
      t.match(await o.latestFor('d1'), { lastError: /ECONNREFUSED/ });
    });

    t.test('refused and failed: final, the refusal on the tenant until a report goes through', async (t) => {
      const store = await storeFor(t, kind, 'outbox');
      await store.tenants.create(
        { tenantId: TENANT, cloud: 'standard', audiences: ['https://mdm.fenestra.test'], createdAt: at(0), updatedAt: at(0) },
        { at: at(0), actor: 'admin', action: 'tenant.connect', targetType: 'tenant', targetId: TENANT },
      );
      t.equal((await store.tenants.get(TENANT))?.complianceReporting, undefined, 'nothing reported yet');
      const o = store.complianceOutbox;
      const a = await o.enqueue(row('d1', true), at(0));
      await o.claim(at(0), at(300), 10);
      await o.refused(a, 'Microsoft Graph answered 403 Authorization_RequestDenied', at(1));
      t.match(await o.latestFor('d1'), { state: 'refused', lastError: /Authorization_RequestDenied/, nextAt: at(1) });
      t.same((await store.tenants.get(TENANT))?.complianceReporting, {
        state: 'refused',
        error: 'Microsoft Graph answered 403 Authorization_RequestDenied',
        at: at(1),
      });
      const b2 = await o.enqueue(row('d2', true), at(2));
      await o.claim(at(2), at(302), 10);
      await o.failed(b2, 'malformed', at(3));
      t.match(await o.latestFor('d2'), { state: 'failed', lastError: 'malformed' });
      t.equal((await store.tenants.get(TENANT))?.complianceReporting?.state, 'refused', 'a failure is not a refusal');
      const c = await o.enqueue(row('d3', false), at(4));
      await o.claim(at(4), at(304), 10);
      await o.sent(c, at(5));
      t.same((await store.tenants.get(TENANT))?.complianceReporting, { state: 'ok', error: undefined, at: at(5) }, 'going through since then');
      const d = await o.enqueue(row('d3', true), at(6));
      await o.claim(at(6), at(306), 10);
      await o.sent(d, at(7));
      t.equal((await store.tenants.get(TENANT))?.complianceReporting?.at, at(5), 'still since the first report that went through');
      // A tenant change made through the store keeps the reporting status (it is the outbox's).
      const tenant = (await store.tenants.get(TENANT))!;
      await store.tenants.update(
        { ...tenant, remediationUrl: 'https://fix.example/', updatedAt: at(8) },
        { at: at(8), actor: 'admin', action: 'tenant.update', targetType: 'tenant', targetId: TENANT },
      );
      t.equal((await store.tenants.get(TENANT))?.complianceReporting?.at, at(5));
    });

    t.test('a batch is limited, oldest due first', async (t) => {
      const store = await storeFor(t, kind, 'outbox');
      const o = store.complianceOutbox;
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await o.enqueue(row(`d${i}`, i % 2 === 0), at(i)));
      t.same(
        (await o.claim(at(10), at(310), 3)).map((r) => r.id),
        ids.slice(0, 3),
      );
      t.same(
        (await o.claim(at(10), at(310), 3)).map((r) => r.id),
        ids.slice(3),
      );
    });
  });
}
