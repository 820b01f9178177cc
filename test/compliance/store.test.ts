// The compliance store on both backends: policies and assignments bump the generation with their
// audit entry; a device finds its policies through all, its keys, its primary user and local
// groups; its state round-trips; a report goes to the outbox in the same write; counts by state.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import type { CompliancePolicy, DeviceCompliance } from '../../src/domain/compliance.js';
import { freshSchema } from '../helpers/pg.js';
import { at, audit } from '../store/suite.js';

interface Backend {
  store: Store;
  /** The outbox rows, as the table holds them. */
  outbox(): Promise<Record<string, unknown>[]>;
}

async function sqlite(t: Test): Promise<Backend> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-compliance-'));
  const file = path.join(dir, 'f.db');
  const store = await openStore({ kind: 'sqlite', file });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const Database = (await import('better-sqlite3')).default;
  return {
    store,
    async outbox() {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT * FROM compliance_outbox ORDER BY id').all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
  };
}

async function postgres(t: Test): Promise<Backend> {
  const s = await freshSchema('compliance');
  const store = await openStore({ kind: 'postgres', url: s.url });
  const pool = new pg.Pool({ connectionString: s.url, max: 1 });
  t.teardown(async () => {
    await store.close();
    await pool.end();
    await s.drop();
  });
  return { store, outbox: async () => (await pool.query('SELECT * FROM compliance_outbox ORDER BY id')).rows };
}

const policy = (id: string, o: Partial<CompliancePolicy> = {}): CompliancePolicy => ({
  id,
  name: `policy ${id}`,
  rules: { firewall: true, minOsBuild: '10.0.19045' },
  graceHours: 24,
  version: 1,
  createdAt: at(0),
  updatedAt: at(0),
  ...o,
});

for (const [name, open] of [
  ['sqlite', sqlite],
  ['postgres', postgres],
] as const) {
  t.test(`${name}: policies and assignments`, async (t) => {
    const { store } = await open(t);
    const c = store.compliance;
    const g0 = await c.generation();
    await c.createPolicy(policy('p1'), audit('compliance-policy.create', 'p1'));
    await c.createPolicy(policy('p2', { createdAt: at(1) }), audit('compliance-policy.create', 'p2'));
    t.ok((await c.generation()) > g0, 'create bumps the generation');
    t.same(await c.getPolicy('p1'), policy('p1'));
    t.same(
      (await c.listPolicies()).map((p) => p.id),
      ['p1', 'p2'],
    );
    const g1 = await c.generation();
    t.ok(await c.updatePolicy(policy('p1', { name: 'renamed', version: 2, graceHours: 0, rules: { secureBoot: true } }), audit('u', 'p1')));
    t.notOk(await c.updatePolicy(policy('nope'), audit('u', 'nope')), 'unknown policy');
    t.same(await c.getPolicy('p1'), policy('p1', { name: 'renamed', version: 2, graceHours: 0, rules: { secureBoot: true } }));
    t.ok((await c.generation()) > g1);

    await store.groups.create({ id: 'g1', name: 'lab', kind: 'device', createdAt: at(0) }, audit('group.create', 'g1'));
    await store.groups.addMembers('g1', ['dev-in-group']);
    t.ok(await c.assign({ policyId: 'p1', targetType: 'group', targetId: 'g1', createdAt: at(2) }, audit('a', 'p1')));
    t.notOk(await c.assign({ policyId: 'p1', targetType: 'group', targetId: 'g1', createdAt: at(3) }, audit('a', 'p1')), 'twice: false');
    t.ok(await c.assign({ policyId: 'p2', targetType: 'user', targetId: 'owner@contoso.com', createdAt: at(2) }, audit('a', 'p2')));
    t.same(await c.assignments('p1'), [{ policyId: 'p1', targetType: 'group', targetId: 'g1', createdAt: at(2) }]);
    t.same(await c.policiesFor({ device: ['x', 'dev-in-group'], user: [] }), ['p1'], 'through a local group');
    t.same(await c.policiesFor({ device: ['x'], user: ['owner@contoso.com'] }), ['p2'], 'through the primary user');
    t.same(await c.policiesFor({ device: ['x'], user: [] }), [], 'nothing else');
    await c.assign({ policyId: 'p2', targetType: 'all', targetId: '*', createdAt: at(4) }, audit('a', 'p2'));
    await c.assign({ policyId: 'p1', targetType: 'device', targetId: 'x', createdAt: at(4) }, audit('a', 'p1'));
    t.same(await c.policiesFor({ device: ['x'], user: [] }), ['p1', 'p2'], 'all and the device itself');
    const g2 = await c.generation();
    t.ok(await c.unassign('p1', 'device', 'x', audit('u', 'p1')));
    t.notOk(await c.unassign('p1', 'device', 'x', audit('u', 'p1')));
    t.ok((await c.generation()) > g2);
    t.ok(await c.deletePolicy('p1', audit('d', 'p1')));
    t.notOk(await c.deletePolicy('p1', audit('d', 'p1')));
    t.same(await c.assignments('p1'), [], 'assignments go with their policy');
    t.same(await c.policiesFor({ device: ['dev-in-group'], user: [] }), ['p2']);
    const actions = (await store.audit.list({ limit: 50 })).map((e) => e.action);
    t.ok(actions.includes('compliance-policy.create') && actions.includes('d'), 'audited in the same write');
  });

  t.test(`${name}: device state and the outbox row written with it`, async (t) => {
    const { store, outbox } = await open(t);
    const c = store.compliance;
    t.equal(await c.get('d1'), undefined);
    const s: DeviceCompliance = {
      devicePk: 'd1',
      state: 'noncompliant',
      reasons: [{ policyId: 'p1', rule: 'firewall', outcome: 'fail', expected: 'firewall on and monitoring', actual: 'disabled (1)' }],
      policies: ['p1@1'],
      evaluatedAt: at(10),
      noncompliantSince: at(5),
      gen: 3,
      reportedCompliant: false,
    };
    await c.record(s, { devicePk: 'd1', tenantId: 'tenant-1', entraDeviceId: 'entra-1', isCompliant: false, isManaged: true, createdAt: at(10) });
    t.same(await c.get('d1'), s);
    await c.record({ devicePk: 'd2', state: 'compliant', reasons: [], policies: ['p1@1'], evaluatedAt: at(11), gen: 3 });
    t.same(await c.get('d2'), { devicePk: 'd2', state: 'compliant', reasons: [], policies: ['p1@1'], evaluatedAt: at(11), gen: 3 }, 'optional fields absent');
    await c.record(
      { ...s, state: 'compliant', reasons: [], noncompliantSince: undefined, reportedCompliant: true, evaluatedAt: at(20) },
      {
        devicePk: 'd1',
        tenantId: 'tenant-1',
        entraDeviceId: 'entra-1',
        isCompliant: true,
        isManaged: true,
        createdAt: at(20),
      },
    );
    const d1 = await c.get('d1');
    t.equal(d1?.state, 'compliant');
    t.equal(d1?.noncompliantSince, undefined);
    t.equal(d1?.reportedCompliant, true);
    const rows = await outbox();
    t.same(
      rows.map((r) => [
        r.device_pk,
        r.tenant_id,
        r.entra_device_id,
        Boolean(r.is_compliant),
        Boolean(r.is_managed),
        r.created_at,
        r.next_at,
        r.state,
        r.attempts,
      ]),
      [
        ['d1', 'tenant-1', 'entra-1', false, true, at(10), at(10), 'pending', 0],
        ['d1', 'tenant-1', 'entra-1', true, true, at(20), at(20), 'pending', 0],
      ],
    );
    t.same(await c.counts(), { compliant: 2 });
  });
}
