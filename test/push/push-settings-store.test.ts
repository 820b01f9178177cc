// PushStore.settings/setSettings on SQLite and PostgreSQL: stored, replaced and removed with
// the audit entry in the same transaction; removing settings that are not there writes nothing.
import t, { type Test } from 'tap';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { Store } from '../../src/store/types.js';
import { onEachStore } from '../helpers/fresh-store.js';

const audit = (action: string): AuditEntry => ({ at: '2026-03-01T10:00:00.000Z', actor: 'admin', action, targetType: 'settings', targetId: 'push' });

async function cases(t: Test, store: Store) {
  t.equal(await store.push.settings(), undefined, 'none at first');
  t.equal(await store.push.setSettings(undefined, '2026-03-01T10:00:00.000Z', audit('settings.push.delete')), false, 'nothing to remove');
  t.equal((await store.audit.list({ limit: 10 })).length, 0, 'and nothing audited');

  t.equal(await store.push.setSettings('{"pfn":"a"}', '2026-03-01T10:00:01.000Z', audit('settings.push.set')), true);
  t.same(await store.push.settings(), { value: '{"pfn":"a"}', updatedAt: '2026-03-01T10:00:01.000Z' });
  t.equal(await store.push.setSettings('{"pfn":"b"}', '2026-03-01T10:00:02.000Z', audit('settings.push.set')), true);
  t.same(await store.push.settings(), { value: '{"pfn":"b"}', updatedAt: '2026-03-01T10:00:02.000Z' }, 'replaced');

  t.equal(await store.push.setSettings(undefined, '2026-03-01T10:00:03.000Z', audit('settings.push.delete')), true);
  t.equal(await store.push.settings(), undefined, 'removed');
  const entries = await store.audit.list({ limit: 10 });
  t.same(entries.map((e) => e.action).sort(), ['settings.push.delete', 'settings.push.set', 'settings.push.set']);
}

onEachStore(t, 'pushset', cases);
