// Windows Hello policies in the provisioning document (issue #16). A real server whose Graph calls
// go to the fake Entra ID and Graph, the simulator enrolling through the Entra join path: the
// device-scope Hello profiles of the enrolling tenant that apply to the device (through its
// enrolling user, and through an Entra group holding the Entra device) are in the document, in
// the simulator's DM tree before its first OMA-DM session, recorded as delivered so that session
// does not send them again; a later PIN change reaches the device through OMA-DM. Profiles that do
// not target it, of another tenant, or of user scope are not in the document. The document keeps
// Microsoft's sample structure, and its PassportForWork leaves are nodes of the CSP's DDF. The
// end-to-end part runs on SQLite and on PostgreSQL (the delivery rows written at enrollment).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { buildProvisioningDoc, cspCharacteristics, DEFAULT_POLL, type ProvisioningDoc } from '../../src/protocol/wap.js';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { readProvisioningDoc } from '../../src/sim/enroll-responses.js';
import { attr, child, children, parseXml, type XmlElement } from '../../src/protocol/xml.js';
import { DDF_DIR, ddfEntry, ddfTable } from '../csp/fixtures/helpers.js';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';
import { wellFormed } from '../helpers/xmllint.js';

const MDE2 = path.join(import.meta.dirname, '..', '..', 'fixtures', 'mde2');
const PFW_DDF = ddfTable(fs.readFileSync(path.join(DDF_DIR, 'PassportForWork.ddf.xml'), 'utf8'));

/** The characteristic types of a document, depth first, with their depth (the document's shape, values left out). */
function shape(xml: string): string[] {
  const out: string[] = [];
  const walk = (e: XmlElement, depth: number) => {
    for (const c of children(e, 'characteristic')) {
      out.push(`${depth}:${attr(c, 'type')}`);
      walk(c, depth + 1);
    }
  };
  walk(child(parseXml(xml), 'wap-provisioningdoc')!, 0);
  return out;
}
const topLevel = (xml: string) => shape(xml).filter((x) => x.startsWith('0:'));

/** Every datatype'd parm's leaf URI under a CSP characteristic, checked against the DDF: the node exists and has that format. */
function ddfProblems(csps: { uri: string; format: string }[]): string[] {
  const bad: string[] = [];
  for (const n of csps) {
    const e = ddfEntry(PFW_DDF, n.uri);
    if (!e) bad.push(`${n.uri}: not in the DDF`);
    else if (e.format !== n.format) bad.push(`${n.uri}: ${n.format}, the DDF says ${e.format}`);
    else if (!e.access.includes('A') || !e.access.includes('R')) bad.push(`${n.uri}: not Add/Replace`);
  }
  return bad;
}

t.test('the document with PassportForWork: Microsoft sample structure, DDF leaves, refusals', async (t) => {
  const tenant = '7d9c1e2a-3b4c-4d5e-8f90-0a1b2c3d4e5f';
  const P = `./Device/Vendor/MSFT/PassportForWork/${tenant}/Policies`;
  const doc: ProvisioningDoc = {
    root: { thumbprint: 'A'.repeat(40), base64: 'TUlJQ1Jvb3Q=' },
    client: { thumbprint: 'B'.repeat(40), base64: 'TUlJQ0NsaWVudA==' },
    clientStore: 'System',
    clientSubject: 'CN=7BA748C8-703E-4DF2-A74A-92984117346A',
    renewal: { serverUrl: 'https://mdm.example.com/EnrollmentServer/Enrollment.svc', renewPeriodDays: 42, retryIntervalDays: 7 },
    providerId: 'fenestra',
    serverName: 'fenestra',
    managementUrl: 'https://mdm.example.com/ManagementServer/MDM.svc',
    appSrvAuth: { name: 'dev-1', secret: 's' },
    clientAuth: { name: 'server', secret: 'c', nonceBase64: 'bm9uY2U=' },
    dmClient: { entDmId: 'dm-1', upn: 'alice@contoso.com', poll: DEFAULT_POLL },
    csps: [
      { uri: `${P}/UsePassportForWork`, format: 'bool', value: 'true' },
      { uri: `${P}/PINComplexity/MinimumPINLength`, format: 'int', value: '6' },
      { uri: `${P}/RequireSecurityDevice`, format: 'bool', value: 'true' },
      { uri: `${P}/PINComplexity/MinimumPINLength`, format: 'int', value: '8' },
      { uri: './Device/Vendor/MSFT/PassportForWork/Biometrics/UseBiometrics', format: 'bool', value: 'false' },
    ],
  };
  const xml = buildProvisioningDoc(doc);
  t.ok(await wellFormed(xml), 'well-formed for libxml2');
  const sample = fs.readFileSync(path.join(MDE2, 'mde2-2.2.9.1-provisioningdoc-device-context.fixed.xml'), 'utf8');
  const plain = buildProvisioningDoc({ ...doc, csps: undefined });
  t.same(topLevel(xml).slice(0, topLevel(sample).length), topLevel(sample), "the sample's characteristics first, in its order");
  t.same(topLevel(xml).slice(topLevel(sample).length), ['0:PassportForWork'], 'then PassportForWork, once');
  t.same(shape(xml).slice(0, shape(plain).length), shape(plain), 'everything before it as without PassportForWork');
  t.same(shape(xml).slice(shape(plain).length), ['0:PassportForWork', `1:${tenant}`, '2:Policies', '3:PINComplexity', '1:Biometrics']);
  t.match(xml, /<parm name="MinimumPINLength" value="8" datatype="integer"\/>/, 'a leaf given twice keeps the later value');
  t.notMatch(xml, /name="MinimumPINLength" value="6"/);
  t.match(xml, /<parm name="UsePassportForWork" value="true" datatype="boolean"\/>/);

  const p = readProvisioningDoc(xml);
  t.same(p.client, { ...doc.client, store: 'System' }, 'the rest reads as before');
  t.equal(p.dmClient['@id'], 'fenestra');
  t.equal(p.poll.PollOnLogin, 'true');
  t.same(
    p.csps.map((n) => `${n.uri}=${n.value} (${n.format})`),
    [
      `${P}/UsePassportForWork=true (bool)`,
      `${P}/RequireSecurityDevice=true (bool)`,
      `${P}/PINComplexity/MinimumPINLength=8 (int)`,
      './Device/Vendor/MSFT/PassportForWork/Biometrics/UseBiometrics=false (bool)',
    ],
    'the device reads the leaves back as ./Device LocURIs',
  );
  t.same(ddfProblems(p.csps), [], 'every leaf is a PassportForWork DDF node of that format, Add/Replace');
  t.same(ddfProblems([{ uri: `${P}/PINComplexity/MinimumPinLength`, format: 'int' }]).length, 1, 'the DDF check catches a misspelt node');
  t.same(readProvisioningDoc(sample).csps, [], "Microsoft's sample configures no other CSP");

  // A document the device cannot apply is refused as a whole, never half-applied.
  const withPfw = (inner: string) =>
    plain.replace('</wap-provisioningdoc>', `<characteristic type="PassportForWork">${inner}</characteristic></wap-provisioningdoc>`);
  t.equal(
    readProvisioningDoc(withPfw('<characteristic type="x"><parm name="UsePassportForWork" value="true"/></characteristic>')).csps[0].format,
    'chr',
    'no datatype: chr',
  );
  for (const [inner, reason] of [
    ['<characteristic><parm name="A" value="1"/></characteristic>', /characteristic without a usable name under \.\/Device\/Vendor\/MSFT\/PassportForWork/],
    ['<characteristic type=".."><parm name="A" value="1"/></characteristic>', /characteristic without a usable name/],
    ['<characteristic type="t"><parm value="1"/></characteristic>', /parm without a usable name under .*PassportForWork\/t$/],
    ['<characteristic type="t"><parm name="a/b" value="1"/></characteristic>', /parm without a usable name/],
    ['<parm name="t" value="1"/><characteristic type="t"/>', /PassportForWork\/t as both a parm and a characteristic/],
  ] as const)
    t.throws(() => readProvisioningDoc(withPfw(inner)), reason, inner);
  t.throws(
    () => cspCharacteristics([{ uri: './User/Vendor/MSFT/PassportForWork/x/Policies/UsePassportForWork', format: 'bool', value: 'true' }]),
    /not a device-tree/,
  );
  t.throws(
    () => cspCharacteristics([{ uri: './Device/Vendor/MSFT/Policy/Config/Start/HideSleep', format: 'int', value: '1' }]),
    /not a provisioning-document CSP/,
  );
  t.throws(() => cspCharacteristics([{ uri: './Device/Vendor/MSFT/PassportForWork', format: 'bool', value: 'true' }]), /not a provisioning-document CSP/);
});

const { entra: entraApp, graph, env: outbound, close } = await startMicrosoftFakes();
const directory = serveGroups(graph);
t.teardown(close);

for (const database of ['sqlite', 'postgres'] as const)
  t.test(`${database}: Entra join, Hello policies from the provisioning document before the first OMA-DM session`, async (t) => {
    const s = await startTestServer({ ...outbound, FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0' }, { database });
    t.teardown(() => s.close());
    const { tenantId, connect } = await connectAppTenant(s, entraApp, ['GroupMember.Read.All']);
    t.equal(connect.status, 201, JSON.stringify(connect.json));
    const otherTenant = (await connectAppTenant(s, entraApp, ['GroupMember.Read.All'])).tenantId;
    const aOid = crypto.randomUUID();

    const dev = entraSimDevice(s, tenantId, { upn: 'alice@contoso.com', oid: aOid });
    t.equal(dev.enrollmentType, 'Device', 'an Entra join');

    const create = async (name: string, scope: 'device' | 'user', settings: unknown) => {
      const r = await s.admin('POST', '/api/v1/profiles', { name, kind: 'hello', scope, settings });
      if (r.status !== 201) throw new Error(`profile: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.id as string;
    };
    const assign = async (id: string, a: unknown) => {
      const r = await s.admin('POST', `/api/v1/profiles/${id}/assignments`, a);
      if (r.status !== 201) throw new Error(`assign: ${r.status} ${JSON.stringify(r.json)}`);
    };
    // To the enrolling user (by UPN): the PIN rules.
    const pin = await create('PIN rules', 'device', { tenantId, pin: { minimumLength: 8, digits: 'required' } });
    await assign(pin, { targetType: 'user', targetId: 'alice@contoso.com' });
    // To an Entra group holding the Entra device (synced before the join).
    const KIOSKS = crypto.randomUUID();
    directory.addGroup(KIOSKS, 'Kiosk PCs');
    directory.addMember(KIOSKS, { type: 'device', id: crypto.randomUUID(), deviceId: dev.deviceId });
    const tpm = await create('TPM required', 'device', { tenantId, requireSecurityDevice: true });
    await assign(tpm, { targetType: 'entraGroup', targetId: KIOSKS, tenantId });
    // Not for this device: another user's, another Entra group's, another tenant's, a user-scope one.
    const bobs = await create('Bob PIN', 'device', { tenantId, pin: { expirationDays: 30 } });
    await assign(bobs, { targetType: 'user', targetId: 'bob@contoso.com' });
    const OTHERS = crypto.randomUUID();
    directory.addGroup(OTHERS, 'Other PCs');
    directory.addMember(OTHERS, { type: 'device', id: crypto.randomUUID(), deviceId: crypto.randomUUID() });
    const others = await create('Other PCs', 'device', { tenantId, pin: { history: 5 } });
    await assign(others, { targetType: 'entraGroup', targetId: OTHERS, tenantId });
    const foreign = await create('Other tenant', 'device', { tenantId: otherTenant, pin: { minimumLength: 12 } });
    await assign(foreign, { targetType: 'all' });
    const perUser = await create('Per-user Hello', 'user', { tenantId, enablePinRecovery: true });
    await assign(perUser, { targetType: 'user', targetId: aOid });
    const sync = await s.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, {});
    t.equal(sync.status, 200, JSON.stringify(sync.json));

    const enrollment = await dev.enroll();
    const P = `./Device/Vendor/MSFT/PassportForWork/${tenantId}/Policies`;
    const ours = (x: string) => x.startsWith(`./Device/Vendor/MSFT/PassportForWork/${tenantId}/`);
    const id: string = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;

    await t.test('in the document and in the DM tree before any OMA-DM session', async (t) => {
      t.equal(dev.sessions, 0, 'no session yet');
      t.same(
        enrollment.provisioning.csps.map((n) => `${n.uri}=${n.value}`).sort(),
        [`${P}/PINComplexity/Digits=1`, `${P}/PINComplexity/MinimumPINLength=8`, `${P}/RequireSecurityDevice=true`, `${P}/UsePassportForWork=true`],
        "the PIN rules (the user's) and the TPM (the Entra group's), nothing else",
      );
      t.equal(dev.tree.read(`${P}/PINComplexity/MinimumPINLength`)?.data, '8', 'MinimumPINLength in force');
      t.equal(dev.tree.read(`${P}/PINComplexity/MinimumPINLength`)?.format, 'int');
      t.equal(dev.tree.read(`${P}/RequireSecurityDevice`)?.data, 'true');
      t.equal(dev.tree.read(`${P}/PINComplexity/Expiration`), undefined, "not Bob's profile");
      t.equal(dev.tree.read(`${P}/PINComplexity/History`), undefined, "not the other Entra group's");
      t.equal(dev.tree.read(`./Device/Vendor/MSFT/PassportForWork/${otherTenant}/Policies/PINComplexity/MinimumPINLength`), undefined, "not another tenant's");
      t.notOk(
        enrollment.provisioning.csps.some((n) => n.uri.includes('EnablePinRecovery')),
        'not the user-scope profile',
      );
      t.same(topLevel(enrollment.provisioning.xml).slice(-2), ['0:DMClient', '0:PassportForWork'], 'after DMClient');
      t.ok(await wellFormed(enrollment.provisioning.xml));
      t.same(ddfProblems(enrollment.provisioning.csps), [], 'DDF nodes');
    });

    await t.test('recorded as delivered at their version', async (t) => {
      const view = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
      const rows = view.profiles.find((g: any) => g.user === null).profiles;
      for (const p of [pin, tpm])
        t.match(
          rows.find((r: any) => r.profileId === p),
          { status: 'delivered', version: 1, detail: 'in the provisioning document' },
        );
      for (const p of [bobs, others, foreign, perUser])
        t.not(rows.find((r: any) => r.profileId === p)?.status, 'delivered', 'not delivered: not in the document');
    });

    await t.test('the first OMA-DM session does not send them again', async (t) => {
      const r = await dev.checkin({ user: null });
      t.equal(r.outcome, 'complete', r.error ?? 'session complete');
      const first: DmLogEntry[] = r.commands;
      // The inventory reads UsePassportForWork (a Get); nothing is set there.
      const writes = first.filter((c) => c.kind !== 'Get');
      const targets = writes.flatMap((c) => c.targets);
      t.notOk(targets.some(ours), JSON.stringify(writes.filter((c) => c.targets.some(ours))));
      t.ok(
        targets.some((x) => x.startsWith(`./Device/Vendor/MSFT/PassportForWork/${otherTenant}/`)),
        "the session does deliver profiles: the other tenant's, assigned to all",
      );
      t.equal(dev.tree.read(`${P}/PINComplexity/MinimumPINLength`)?.data, '8');
    });

    await t.test('a PIN policy change reaches the device through OMA-DM, only what changed', async (t) => {
      const r = await s.admin('PATCH', `/api/v1/profiles/${pin}`, { settings: { tenantId, pin: { minimumLength: 10, digits: 'required' } } });
      t.equal(r.status, 200, JSON.stringify(r.json));
      const c = await dev.checkin({ user: null });
      t.equal(c.outcome, 'complete', c.error ?? 'session complete');
      const sent = c.commands.filter((x) => x.kind !== 'Get' && x.targets.some(ours));
      t.same(
        sent.map((x) => `${x.kind} ${x.targets.join(',')} ${x.status}`),
        [`Replace ${P}/PINComplexity/MinimumPINLength 200`],
        'a Replace of MinimumPINLength from the version the document carried',
      );
      t.equal(dev.tree.read(`${P}/PINComplexity/MinimumPINLength`)?.data, '10');
      const view = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
      const row = view.profiles.find((g: any) => g.user === null).profiles.find((x: any) => x.profileId === pin);
      t.match(row, { version: 2 });
      t.match(row.status, /^(delivered|verified)$/);
    });
  });
