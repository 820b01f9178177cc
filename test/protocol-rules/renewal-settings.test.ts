// MS-MDE2 §2.2.9.2: ROBOSupport, RenewPeriod and RetryInterval changed over OMA-DM go in one
// Atomic. When FENESTRA_RENEW_PERIOD_DAYS changes, a device enrolled with the old value gets the
// new ones at its next session (so it does not renew on the old schedule and get
// NotEligibleToRenew); once it acknowledged them, nothing more is sent. Devices enrolled with the
// current settings get nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { SyncCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { type EnrolledDevice, enrollEntraDevice } from '../helpers/enrolled.js';
import { freshSchema } from '../helpers/pg.js';
import { type TestServer, startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const RENEW = './Vendor/MSFT/CertificateStore/My/WSTEP/Renew';

/** One session: package 1, then every server command answered 200, until the server has nothing more. Returns every command the server sent. */
async function session(s: TestServer, e: EnrolledDevice, sessionId: string): Promise<SyncCommand[]> {
  const hdr = (msgId: number) => ({
    verDTD: '1.2',
    verProto: 'DM/1.2',
    sessionId,
    msgId: String(msgId),
    targetUri: s.publicUrl + M,
    sourceUri: e.dev.deviceId,
  });
  const post = async (m: SyncMLMessage) => {
    const r = await s.request(M, {
      method: 'POST',
      body: buildSyncML(m),
      headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
      cert: e.certPem,
      key: e.keyPem,
    });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return parseSyncML(r.body);
  };
  const sent: SyncCommand[] = [];
  let reply = await post({ hdr: hdr(1), final: true, body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }] });
  for (let msgId = 2; reply.body.some((c) => c.kind !== 'Status') && msgId < 10; msgId++) {
    const cmds = reply.body.filter((c) => c.kind !== 'Status');
    sent.push(...cmds);
    const flat = cmds.flatMap((c) => (c.kind === 'Atomic' || c.kind === 'Sequence' ? [c, ...c.commands] : [c]));
    let id = 1;
    const body: SyncCommand[] = [
      { kind: 'Status', cmdId: String(id++), msgRef: reply.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      ...flat.map((c) => ({ kind: 'Status' as const, cmdId: String(id++), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, cmd: c.kind, data: '200', items: [] })),
    ];
    reply = await post({ hdr: hdr(msgId), final: true, body });
  }
  return sent;
}

const renewAtomics = (cmds: SyncCommand[]) =>
  cmds.filter((c) => c.kind === 'Atomic' && c.commands.some((m) => 'items' in m && m.items.some((i) => i.target?.startsWith(RENEW))));

for (const database of ['sqlite', 'postgres'] as const)
  t.test(`rule 60: a changed FENESTRA_RENEW_PERIOD_DAYS reaches enrolled devices in one Atomic (${database})`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-renew-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const pg = database === 'postgres' ? await freshSchema('renew') : undefined;
    if (pg) t.teardown(() => pg.drop());
    const env = (days: string) => ({
      FENESTRA_DATA_DIR: path.join(dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
      FENESTRA_RENEW_PERIOD_DAYS: days,
      ...(pg ? { FENESTRA_DATABASE_URL: pg.url } : {}),
    });

    // Enrolled with RenewPeriod 42 (and RetryInterval 7): the provisioning document set them; no SyncML delivery.
    const s1 = await startTestServer(env('42'), { database });
    const e = await enrollEntraDevice(s1, await s1.connectTenant());
    t.same(
      e.prov.renew,
      { ROBOSupport: 'true', RenewPeriod: '42', RetryInterval: '7', ServerURL: `${s1.publicUrl}/EnrollmentServer/Enrollment.svc` },
      'the document',
    );
    t.same(renewAtomics(await session(s1, e, '1')), [], 'a device enrolled with the current settings is sent nothing');
    await s1.close();

    // The operator shortens the renewal period to 30 days: the device's next session carries the new values.
    const s2 = await startTestServer(env('30'), { database });
    t.teardown(() => s2.close());
    const first = await session(s2, e, '2');
    const atomics = renewAtomics(first);
    t.equal(atomics.length, 1, 'one Atomic');
    const members = atomics[0]?.kind === 'Atomic' ? atomics[0].commands : [];
    t.same(
      members.map((m) => ('items' in m ? [m.kind, m.items.map((i) => [i.target, i.meta?.format, i.data])] : [m.kind])),
      [
        ['Replace', [[`${RENEW}/ROBOSupport`, 'bool', 'true']]],
        ['Replace', [[`${RENEW}/RenewPeriod`, 'int', '30']]],
        ['Replace', [[`${RENEW}/RetryInterval`, 'int', '7']]],
      ],
      'ROBOSupport, RenewPeriod, RetryInterval — all three, nothing else, in the Atomic',
    );
    t.notOk(
      first.some((c) => c.kind !== 'Atomic' && 'items' in c && c.items.some((i) => i.target?.startsWith(RENEW))),
      'no Renew node outside the Atomic',
    );
    t.same(renewAtomics(await session(s2, e, '3')), [], 'acknowledged: not sent again');
    const cmds = (await s2.admin('GET', `/api/v1/devices/${e.dev.deviceId}/commands`)).json.commands;
    t.match(
      cmds.filter((c: any) => c.action === 'renewal-settings'),
      [{ origin: 'system', state: 'acked' }],
      'listed with the device commands, acknowledged',
    );
  });
