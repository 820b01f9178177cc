// The Entra group store on both backends: watching, a full membership replaced, a delta round's
// adds and removals (no-ops ignored), the delta link kept and forgotten, errors, a principal's
// groups found by the member index, and the membership stamps bumped for exactly the principals
// that joined or left (never for the others, never through the profile generation).
import t, { type Test } from 'tap';
import type { Store } from '../../src/store/types.js';
import { onEachStore } from '../helpers/fresh-store.js';

const G1 = '11111111-1111-4111-8111-111111111111';
const G2 = '22222222-2222-4222-8222-222222222222';
const u = (n: number) => ({ objectId: `u${n}`, principal: `u${n}` });

async function cases(t: Test, store: Store) {
  const gen = await store.profiles.generation();
  t.equal(await store.entraGroups.watch({ id: G1, tenantId: 'tenant-a', createdAt: '2026-01-01T00:00:00.000Z' }), true);
  t.equal(await store.entraGroups.watch({ id: G1, tenantId: 'tenant-a', createdAt: '2026-01-01T00:00:00.000Z' }), false, 'watched once');
  await store.entraGroups.watch({ id: G2, tenantId: 'tenant-b', createdAt: '2026-01-01T00:00:00.000Z' });
  t.same(
    (await store.entraGroups.list('tenant-a')).map((g) => g.id),
    [G1],
  );
  t.equal((await store.entraGroups.list()).length, 2);

  const r1 = await store.entraGroups.replaceMembers(G1, [u(1), u(2), u(3), { objectId: 'dev-obj-1', principal: 'entra-dev-1' }], {
    at: '2026-01-01T01:00:00.000Z',
    displayName: 'Sales',
    kind: 'mixed',
    nested: false,
    deltaLink: 'https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=one',
  });
  t.same(r1, { added: 4, removed: 0 });
  await store.entraGroups.replaceMembers(G2, [u(3)], { at: '2026-01-01T01:00:00.000Z', deltaLink: null });
  let g = (await store.entraGroups.get(G1))!;
  t.match(g, { displayName: 'Sales', kind: 'mixed', nested: false, memberCount: 4, lastSyncAt: '2026-01-01T01:00:00.000Z' });
  t.equal(g.deltaLink, 'https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=one');
  t.same(await store.entraGroups.stamps(['u1', 'u3', 'entra-dev-1', 'nobody']), [1, 2, 1, 0]);
  t.same([...(await store.entraGroups.groupsOf(['u3', 'u1', 'nobody']))].sort(), [
    ['u1', [G1]],
    ['u3', [G1, G2]],
  ]);

  // Replaced by the same members plus one, minus one: only those two principals move.
  const r2 = await store.entraGroups.replaceMembers(G1, [u(1), u(3), u(4), { objectId: 'dev-obj-1', principal: 'entra-dev-1' }], {
    at: '2026-01-01T02:00:00.000Z',
    deltaLink: 'https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=two',
  });
  t.same(r2, { added: 1, removed: 1 });
  t.same(await store.entraGroups.stamps(['u1', 'u2', 'u3', 'u4', 'entra-dev-1']), [1, 2, 2, 1, 1]);

  // A delta: u5 joins, u1 leaves, u3 added again (already in) and u9 removed (never in) are no-ops.
  const r3 = await store.entraGroups.applyDelta(G1, [u(5), u(3)], ['u1', 'u9'], {
    at: '2026-01-01T03:00:00.000Z',
    deltaLink: 'https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=three',
  });
  t.same(r3, { added: 1, removed: 1 });
  t.same(await store.entraGroups.stamps(['u1', 'u3', 'u5', 'u9']), [2, 2, 1, 0]);
  g = (await store.entraGroups.get(G1))!;
  t.equal(g.memberCount, 4);
  t.equal(g.deltaLink, 'https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=three');
  t.same(await store.entraGroups.groupsOf(['u1']), new Map());

  await store.entraGroups.recordError(G1, 'Graph refused: Authorization_RequestDenied', '2026-01-01T04:00:00.000Z');
  g = (await store.entraGroups.get(G1))!;
  t.match(g, { lastError: 'Graph refused: Authorization_RequestDenied', lastErrorAt: '2026-01-01T04:00:00.000Z', memberCount: 4 });
  await store.entraGroups.applyDelta(G1, [], [], { at: '2026-01-01T05:00:00.000Z', deltaLink: null });
  g = (await store.entraGroups.get(G1))!;
  t.equal(g.lastError, undefined, 'a successful sync clears the error');
  t.equal(g.deltaLink, undefined, 'the delta link forgotten');

  // A large membership in one go (the PostgreSQL writes go in chunks).
  const many = Array.from({ length: 25_000 }, (_, i) => u(1000 + i));
  t.same(await store.entraGroups.replaceMembers(G2, many, { at: '2026-01-01T06:00:00.000Z', deltaLink: null }), { added: 25_000, removed: 1 });
  t.equal((await store.entraGroups.get(G2))!.memberCount, 25_000);
  t.equal(await store.profiles.generation(), gen, 'membership changes never bump the profile generation');
}

onEachStore(t, 'entragroups', cases);
