// fenestra apply with Entra group assignment targets, against a real server whose Graph calls go to
// the fake Entra ID and Graph: {entraGroup: object ID} (and tenantId when named) is assigned and
// the group watched; a second run has nothing to do (the object ID compared case-blind); a group
// left out of the file is unassigned and, targeted by nothing else, no longer watched.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';
import { runCliHere } from './run-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-cli-apply-entra-'));
const fakes = await startMicrosoftFakes();
const { entra, graph } = fakes;
const directory = serveGroups(graph);
const s = await startTestServer({ ...fakes.env, FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0' });
t.teardown(async () => {
  await s.close();
  await fakes.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
const caFile = path.join(dir, 'ca.pem');
fs.writeFileSync(caFile, s.caPem);
const conn = ['--url', `https://127.0.0.1:${s.server.port}`, '--token', s.adminToken, '--ca', caFile];
const file = path.join(dir, 'fleet.yaml');
const apply = (...args: string[]) => runCliHere(['apply', '-f', file, ...args, ...conn]);

const SALES = crypto.randomUUID();
const LAB = crypto.randomUUID();
directory.addGroup(SALES, 'Sales staff');
directory.addGroup(LAB, 'Lab devices');

const fleet = (assignments: string[]) => `
profiles:
  - name: Sales Wi-Fi
    kind: wifi
    scope: user
    settings: { ssid: Sales, security: open }
    assignments:
${assignments.map((a) => `      - ${a}\n`).join('')}`;

t.test('Entra group targets: assigned and watched, then idempotent, then one left out is unassigned and unwatched', async (t) => {
  const { tenantId, connect } = await connectAppTenant(s, entra, ['GroupMember.Read.All']);
  t.equal(connect.status, 201, JSON.stringify(connect.json));
  const watched = async () => ((await s.admin('GET', `/api/v1/tenants/${tenantId}/groups`)).json as { id: string }[]).map((g) => g.id).sort();

  fs.writeFileSync(file, fleet([`entraGroup: ${SALES.toUpperCase()}`, `{ entraGroup: ${LAB}, tenantId: ${tenantId} }`]));
  const r = await apply();
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    [
      'changes (3):',
      '  + profile "Sales Wi-Fi" (wifi, user scope)',
      `  + assignment "Sales Wi-Fi" → Entra group ${SALES}`,
      `  + assignment "Sales Wi-Fi" → Entra group ${LAB} (tenant ${tenantId})`,
      'applied 3 changes',
      '',
    ].join('\n'),
  );
  const profile = ((await s.admin('GET', '/api/v1/profiles')).json as { id: string }[])[0]!;
  const assignments = (await s.admin('GET', `/api/v1/profiles/${profile.id}`)).json.assignments as { targetType: string; targetId: string }[];
  t.same(assignments.map((a) => `${a.targetType}:${a.targetId}`).sort(), [`entraGroup:${LAB}`, `entraGroup:${SALES}`].sort());
  t.same(await watched(), [LAB, SALES].sort(), 'both groups watched on the tenant');

  const again = await apply();
  t.equal(again.stdout, 'no changes\n', 'the object ID in another case is the same assignment');

  fs.writeFileSync(file, fleet([`entraGroup: ${SALES}`]));
  const dry = await apply('--dry-run');
  t.equal(dry.stdout, `would change (1):\n  - assignment "Sales Wi-Fi" → Entra group ${LAB}\n`);
  const less = await apply();
  t.equal(less.code, 0, less.stderr);
  t.same(await watched(), [SALES], 'the group no longer targeted is no longer watched');
});
