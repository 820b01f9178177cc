// The audit log's filters (the console's audit page, a tenant's audit trail) on both backends:
// actor part, action or its family, target, time range, each combined with keyset paging.
// PostgreSQL must be reachable (FENESTRA_TEST_PG), as for test/store/postgres.test.ts.
import t, { type Test } from 'tap';
import type { Store } from '../../src/store/types.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { onEachStore } from '../helpers/fresh-store.js';

const at = (minute: number) => new Date(Date.parse('2026-03-01T10:00:00.000Z') + minute * 60_000).toISOString();
const entry = (minute: number, actor: string, action: string, targetId: string): AuditEntry => ({
  at: at(minute),
  actor,
  action,
  targetType: action.split('.')[0],
  targetId,
});

const ENTRIES = [
  entry(0, 'alice', 'tenant.connect', 't1'),
  entry(1, 'Bob (token ci)', 'group.create', 'g1'),
  entry(2, 'alice', 'tenant.change', 't1'),
  entry(3, 'break-glass@10.0.0.1', 'tenant.connect', 't2'),
  entry(4, 'bob', 'tenantx.other', 't1'),
  entry(5, 'alice', 'tenant.disconnect', 't1'),
  entry(6, 'a_b%c', 'group.delete', 'g1'),
];

async function cases(t: Test, store: Store) {
  for (const e of ENTRIES) await store.audit.append(e);
  const ids = async (q: Parameters<Store['audit']['list']>[0]) => (await store.audit.list(q)).map((e) => `${e.actor}:${e.action}`);

  t.same(await ids({ limit: 3 }), ['a_b%c:group.delete', 'alice:tenant.disconnect', 'bob:tenantx.other'], 'no filter: newest first');
  t.same(await ids({ limit: 10, actor: 'BOB' }), ['bob:tenantx.other', 'Bob (token ci):group.create'], 'actor: a part, any case');
  t.same(await ids({ limit: 10, actor: '_b%' }), ['a_b%c:group.delete'], 'actor: LIKE wildcards are literal');
  t.same(
    await ids({ limit: 10, action: 'tenant' }),
    ['alice:tenant.disconnect', 'break-glass@10.0.0.1:tenant.connect', 'alice:tenant.change', 'alice:tenant.connect'],
    'action family: tenant.* and not tenantx.*',
  );
  t.same(await ids({ limit: 10, action: 'tenant.connect' }), ['break-glass@10.0.0.1:tenant.connect', 'alice:tenant.connect'], 'one action');
  t.same(
    await ids({ limit: 10, targetType: 'tenant', targetId: 't1' }),
    ['alice:tenant.disconnect', 'alice:tenant.change', 'alice:tenant.connect'],
    'one target',
  );
  t.same(await ids({ limit: 10, from: at(2), to: at(4) }), ['break-glass@10.0.0.1:tenant.connect', 'alice:tenant.change'], 'from inclusive, to exclusive');
  t.same(await ids({ limit: 10, actor: 'alice', action: 'tenant', from: at(1) }), ['alice:tenant.disconnect', 'alice:tenant.change'], 'filters combine');

  const first = await store.audit.list({ limit: 2, actor: 'alice' });
  const next = await store.audit.list({ limit: 2, actor: 'alice', beforeId: first[1].id });
  t.same(
    next.map((e) => e.action),
    ['tenant.connect'],
    'paging keeps the filter',
  );
  t.same(await ids({ limit: 10, actor: 'nobody' }), [], 'no match: empty page');
}

onEachStore(t, 'audit', cases);
