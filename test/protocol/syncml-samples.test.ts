// SyncML reader against real and published messages: the real Windows 10 device's two OMA-DM
// sessions (fleet dump 07–10) and Microsoft's MS-MDM / MS-MDE2 / Learn examples.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  ALERT,
  SyncMLError,
  buildSyncML,
  parseSyncML,
  type AlertCommand,
  type ContainerCommand,
  type ItemCommand,
  type ResultsCommand,
  type StatusCommand,
  type SyncCommand,
  type SyncMLMessage,
} from '../../src/protocol/syncml/index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'syncml');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const fixtureBytes = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

/** Wrap a published fragment (a SyncBody, or commands) into a minimal SyncML message. */
function wrap(fragment: string): string {
  const inner = fragment.trimStart().startsWith('<SyncBody') ? fragment : `<SyncBody>${fragment}</SyncBody>`;
  return (
    '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
    '<SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>https://mdm.example.com/</LocURI></Target>' +
    `<Source><LocURI>DEVICE</LocURI></Source></SyncHdr>${inner}</SyncML>`
  );
}

type CommandOf<K extends SyncCommand['kind']> = K extends ItemCommand['kind']
  ? ItemCommand
  : K extends ContainerCommand['kind']
    ? ContainerCommand
    : Extract<SyncCommand, { kind: K }>;

function as<K extends SyncCommand['kind']>(cmd: SyncCommand | undefined, kind: K): CommandOf<K> {
  if (!cmd || cmd.kind !== kind) throw new Error(`expected ${kind}, got ${cmd?.kind}`);
  return cmd as CommandOf<K>;
}

function statusOf(fn: () => unknown): number | string {
  try {
    fn();
  } catch (err) {
    return err instanceof SyncMLError ? err.httpStatus : `not a SyncMLError: ${String(err)}`;
  }
  return 'no error';
}

const DEVICE = 'B5B954E81FBCB94EB79BD08BE625F4EE';
const SERVER = 'https://windows.fleetdm.ngrok.io/ManagementServer/MDM.svc';
const DEVINFO = [
  { source: './DevInfo/DevId', data: DEVICE },
  { source: './DevInfo/Man', data: 'VMware, Inc.' },
  { source: './DevInfo/Mod', data: 'VMware7,1' },
  { source: './DevInfo/DmV', data: '1.3' },
  { source: './DevInfo/Lang', data: 'en-US' },
];

t.test('real device, session 1 package 1 (fleet 07)', async (t) => {
  const msg = parseSyncML(fixtureBytes('07_management_session1_msg1_request_device.xml'));
  t.strictSame(msg.hdr, { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: SERVER, sourceUri: DEVICE });
  t.equal(msg.final, true);
  t.equal(msg.unknown, undefined);
  t.strictSame(
    msg.body.map((c) => c.kind),
    ['Alert', 'Alert', 'Replace'],
  );
  t.strictSame(msg.body[0], { kind: 'Alert', cmdId: '2', data: ALERT.CLIENT_INITIATED, items: [] });
  t.strictSame(msg.body[1], {
    kind: 'Alert',
    cmdId: '3',
    data: ALERT.CLIENT_EVENT,
    items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }],
  });
  t.strictSame(msg.body[2], { kind: 'Replace', cmdId: '4', items: DEVINFO });
  t.strictSame(parseSyncML(buildSyncML(msg)), msg, 'survives build → parse');
});

t.test('real device, session 2 package 1: unenrollment (fleet 09)', async (t) => {
  const msg = parseSyncML(fixture('09_management_session2_msg1_unenroll_request_device.xml'));
  t.strictSame(msg.hdr, { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '2', msgId: '1', targetUri: SERVER, sourceUri: DEVICE });
  t.equal(msg.final, true);
  t.strictSame(
    msg.body.map((c) => [c.kind, c.cmdId]),
    [
      ['Alert', '2'],
      ['Alert', '3'],
      ['Alert', '4'],
      ['Replace', '5'],
    ],
  );
  t.equal(as(msg.body[0], 'Alert').data, '1201');
  t.strictSame(as(msg.body[1], 'Alert').items, [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }]);
  t.strictSame(msg.body[2], {
    kind: 'Alert',
    cmdId: '4',
    data: ALERT.GENERIC,
    items: [{ meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int' }, data: '1' }],
  });
  t.strictSame(as(msg.body[3], 'Replace').items, DEVINFO);
});

t.test("the PoC server's replies (fleet 08, 10: XML declaration, <Final />)", async (t) => {
  const m08 = parseSyncML(fixture('08_management_session1_msg1_response_poc_server.xml'));
  t.strictSame(m08.hdr, { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: DEVICE, sourceUri: SERVER });
  t.equal(m08.final, true);
  t.strictSame(
    m08.body.map((c) => {
      const s = as(c, 'Status');
      return [s.cmdId, s.msgRef, s.cmdRef, s.cmd, s.data];
    }),
    [
      ['1', '1', '0', 'SyncHdr', '200'],
      ['2', '1', '2', 'Alert', '200'],
      ['3', '1', '3', 'Alert', '200'],
      ['4', '1', '4', 'Replace', '200'],
    ],
  );
  t.strictSame(as(m08.body[0], 'Status').items, []);
  t.equal(as(m08.body[0], 'Status').targetRef, undefined);

  const m10 = parseSyncML(fixture('10_management_session2_msg1_response_poc_server.xml'));
  t.equal(m10.hdr.sessionId, '2');
  t.equal(m10.final, true);
  t.strictSame(m10.body, [{ kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] } satisfies StatusCommand]);
});

t.test('MS-MDM §4 packages 1–3', async (t) => {
  const p1 = parseSyncML(fixture('mdm-4-syncml-pkg1-client-alert-devinfo.xml'));
  t.equal(p1.hdr.sourceUri, '{unique device id}');
  t.equal(p1.hdr.targetUri, 'https://contoso.com/management-server');
  t.strictSame(
    p1.body.map((c) => c.kind),
    ['Alert', 'Replace'],
  );
  t.equal(as(p1.body[0], 'Alert').items[0].meta?.type, 'com.microsoft/MDM/LoginStatus');
  t.strictSame(
    as(p1.body[1], 'Replace').items.map((i) => i.source),
    ['./DevInfo/DevId', './DevInfo/Man', './DevInfo/Mod', './DevInfo/DmV', './DevInfo/Lang'],
  );
  t.equal(as(p1.body[1], 'Replace').items[2].data, '{operating system description}');
  t.equal(p1.final, true);

  const p2 = parseSyncML(fixture('mdm-4-syncml-pkg2-server-status-get.xml'));
  t.strictSame(
    p2.body,
    [
      { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      { kind: 'Get', cmdId: '4', items: [{ target: './DevDetail/SwV' }] },
      { kind: 'Get', cmdId: '5', items: [{ target: './ DevDetail/HwV' }] },
    ] satisfies SyncCommand[],
    'comments skipped; the published stray space inside ./ DevDetail/HwV is kept',
  );
  t.equal(p2.final, true);

  const p3 = parseSyncML(fixture('mdm-4-syncml-pkg3-client-status-results.xml'));
  t.equal(p3.hdr.msgId, '2');
  t.strictSame(
    p3.body.map((c) => c.kind),
    ['Status', 'Status', 'Status', 'Results', 'Results'],
  );
  t.strictSame(
    p3.body[3],
    {
      kind: 'Results',
      cmdId: '4',
      msgRef: '1',
      cmdRef: '4',
      items: [{ source: './DevDetail/SwV', meta: { format: 'chr' }, data: '[software version returned here]' }],
    } satisfies ResultsCommand,
    'Results: the <Cmd>Get</Cmd> Windows adds is tolerated (not in the model)',
  );
  t.strictSame(as(p3.body[4], 'Results').items, [{ source: './DevDetail/HwV', data: '[hardware version returned here]' }]);
});

t.test('other complete published messages', async (t) => {
  const swv = parseSyncML(fixture('mdm-3-syncml-server-get-swv.xml'));
  t.strictSame(swv.body, [{ kind: 'Get', cmdId: '2', items: [{ target: './DevDetail/SwV' }] }], "single-quoted xmlns='SYNCML:SYNCML1.2'");
  t.equal(swv.final, true);

  const pending = parseSyncML(fixture('mde2-2.2.9.3-syncml-requestpending-alert.xml'));
  t.equal(pending.hdr.sessionId, '10');
  t.equal(pending.final, false, 'no <Final/>');
  t.strictSame(pending.body, [
    {
      kind: 'Alert',
      cmdId: '2',
      data: '1224',
      items: [{ meta: { type: 'Reversed-Domain-Name:com.microsoft.mdm.requestpending' }, data: '1' }],
    },
  ] satisfies AlertCommand[]);

  // The MS-MDE2 LinkedEnrollment samples are SYNCML1.1 bodies published without a SyncHdr.
  for (const name of ['mde2-2.2.9.3-syncml-linkedenrollment-exec-enroll.xml', 'mde2-2.2.9.3-syncml-linkedenrollment-set-discoveryendpoint.xml']) {
    const xml = fixture(name);
    t.equal(
      statusOf(() => parseSyncML(xml)),
      400,
      `${name}: no SyncHdr → 400`,
    );
    const withHdr = xml.replace(
      '<SyncBody>',
      '<SyncHdr><VerDTD>1.1</VerDTD><VerProto>DM/1.1</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>d</LocURI></Target><Source><LocURI>s</LocURI></Source></SyncHdr><SyncBody>',
    );
    const m = parseSyncML(withHdr);
    t.equal(m.hdr.verDTD, '1.1', `${name}: SYNCML:SYNCML1.1 accepted once a SyncHdr is added`);
    t.equal(m.final, true);
    t.match(m.body[0].kind, /^(Exec|Replace)$/);
    t.match((m.body[0] as ItemCommand).items[0].target, /^\.\/Device\/Vendor\/MSFT\/DMClient\/Provider\/MS%20DM%20SERVER\/LinkedEnrollment\//);
  }
  const disc = parseSyncML(
    fixture('mde2-2.2.9.3-syncml-linkedenrollment-set-discoveryendpoint.xml').replace(
      '<SyncBody>',
      '<SyncHdr><VerDTD>1.1</VerDTD><VerProto>DM/1.1</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>d</LocURI></Target><Source><LocURI>s</LocURI></Source></SyncHdr><SyncBody>',
    ),
  );
  t.equal(as(disc.body[0], 'Replace').items[0].data, 'https://contoso.com/declaredconfigrationendpoint?api-version=1.0');
});

t.test('published fragments wrapped into a minimal message', async (t) => {
  const parse = (name: string): SyncMLMessage => parseSyncML(wrap(fixture(name)));
  const only = (name: string): SyncCommand => {
    const m = parse(name);
    t.equal(m.body.length, 1, `${name}: one command (the published "..." text is ignored)`);
    t.equal(m.unknown, undefined, `${name}: nothing unknown`);
    return m.body[0];
  };

  t.strictSame(
    only('mdm-3.1.5.1.2-syncbody-alert-1201-fragment.xml'),
    { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
    'Alert 1201 (comment after Data)',
  );
  t.strictSame(
    only('mdm-3.1.5.1.1-syncbody-add-fragment.xml'),
    {
      kind: 'Add',
      cmdId: '1',
      items: [{ target: './Vendor/MSFT/WiFi/Profile/MyNetwork/ProxyVendor/\nMSFT/WiFi/Profile/MyNetwork/Proxy', meta: { format: 'chr' }, data: 'test:80' }],
    },
    'Add: a line break inside LocURI is kept (only the ends are trimmed)',
  );

  const atomic = as(only('mdm-3.1.5.1.3-syncbody-atomic-fragment.xml'), 'Atomic');
  t.equal(atomic.cmdId, '10');
  t.strictSame(
    atomic.commands.map((c) => [c.kind, c.cmdId]),
    [
      ['Replace', '8'],
      ['Replace', '9'],
    ],
  );
  t.strictSame((atomic.commands[1] as ItemCommand).items, [
    { target: './cimv2/MDM_Restrictions/MDM_Restrictions.\nKey=%221%22/DataRoamingEnabled', data: 'true' },
  ]);

  t.strictSame(only('mdm-3.1.5.1.4-syncbody-delete-fragment.xml'), {
    kind: 'Delete',
    cmdId: '1',
    items: [{ target: './Vendor/MSFT/WiFi/Profile/MyNetwork/ProxyVendor/MSFT/WiFi/Profile/ MyNetwork/Proxy' }],
  });
  t.strictSame(
    only('mdm-3.1.5.1.5-syncbody-exec-fragment.xml'),
    {
      kind: 'Exec',
      cmdId: '11',
      items: [
        {
          target: './cimv2/MDM_EASPolicy/MDM_EASPolicy.\nKey=%221%22/Exec=SetValues',
          meta: { format: 'chr', type: 'text/plain' },
          data: 'NamedValuesList=MinPasswordLength,8;',
        },
      ],
    },
    'Exec: trailing line break of LocURI trimmed',
  );
  t.strictSame(only('mdm-3.1.5.1.6-syncbody-get-fragment.xml'), { kind: 'Get', cmdId: '1', items: [{ target: './DevDetail/SwV' }] });
  t.equal(as(only('mdm-3.1.5.1.7-syncbody-replace-fragment.xml'), 'Replace').items[0].data, 'test:8080');
  t.strictSame(only('mdm-3.1.5.2.1-syncbody-status-fragment.xml'), {
    kind: 'Status',
    cmdId: '1',
    msgRef: '1',
    cmdRef: '5',
    cmd: 'Get',
    data: '200',
    items: [],
  });
  t.strictSame(only('mdm-3.1.5.2.2-syncbody-results-fragment.xml'), {
    kind: 'Results',
    cmdId: '1',
    msgRef: '1',
    cmdRef: '5',
    items: [{ source: 'Vendor/MSFT/WiFi/Profile/MyNetwork/ProxyVendor/MSFT/WiFi/Profile /MyNetwork/Proxy', meta: { format: 'chr' }, data: 'test:8080' }],
  });

  // Published with <Meta></Meta> and Type (syncml:metinf) directly under Item: the stray Type is
  // read as the Item's Meta Type, so the engine sees the alert type either way.
  t.strictSame(as(only('mdm-3.2.5.1.5-syncbody-synctype-alert-fragment.xml'), 'Alert').items, [{ meta: { type: 'com.microsoft.mdm.synctype' }, data: 'user' }]);
  t.strictSame(as(only('mdm-3.2.5.1.6-syncbody-deviceprepsync-alert-fragment.xml'), 'Alert').items, [
    { meta: { type: 'com.microsoft/MDM/DevicePrepSync' }, data: 'PendingProvisioning' },
  ]);

  t.strictSame(as(only('docs-alert-1224-loginstatus-fragment.xml'), 'Alert').items, [
    { meta: { type: 'com.microsoft/MDM/LoginStatus', format: 'chr' }, data: 'user' },
  ]);
  t.strictSame(only('docs-unenroll-generic-alert-fragment.xml'), {
    kind: 'Alert',
    cmdId: '4',
    data: '1226',
    items: [{ meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int' }, data: '1' }],
  });

  // xmlns= "syncml:metinf " (space before the value is legal XML; the trailing space makes a
  // different namespace name). Decision: namespace names are compared trimmed and
  // case-insensitively, so this is read as Meta Type like the well-formed variant.
  t.strictSame(as(only('docs-entra-alert-1224-aadusertoken-fragment.xml'), 'Alert').items, [
    { meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: 'UserToken inserted here' },
  ]);

  t.strictSame(only('docs-wifi-csp-get-profiles-fragment.xml'), { kind: 'Get', cmdId: '301', items: [{ target: './Vendor/MSFT/WiFi/Profile' }] });
  t.strictSame(
    only('docs-wifi-csp-get-profiles-results-fragment.xml'),
    {
      kind: 'Results',
      cmdId: '3',
      msgRef: '1',
      cmdRef: '301',
      items: [{ source: './Vendor/MSFT/WiFi/Profile', meta: { format: 'node' }, data: 'TestWLAN1/TestWLAN2' }],
    },
    'Results of an interior node: Format node',
  );
  const del = as(only('docs-wifi-csp-delete-profile-fragment.xml'), 'Atomic');
  t.strictSame(del.commands, [{ kind: 'Delete', cmdId: '301', items: [{ target: './Vendor/MSFT/WiFi/Profile/MyNetwork/WlanXml' }] }]);
  const wifi = as(only('docs-wifi-csp-add-peap-trustedrootca-fragment.xml'), 'Atomic');
  t.equal(wifi.commands[0].kind, 'Add');
  const exec = as(only('docs-emam-storeinstall-exec-fragment.xml'), 'Exec');
  t.equal(exec.items[0].dataIsXml, true);
});

t.test('docs-unenroll-userrequest-pkg1.xml is refused: not well-formed as published', async (t) => {
  const xml = fixture('docs-unenroll-userrequest-pkg1.xml');
  let err: unknown;
  try {
    parseSyncML(xml);
  } catch (e) {
    err = e;
  }
  t.type(err, SyncMLError);
  t.equal((err as SyncMLError).httpStatus, 400);
  t.match((err as SyncMLError).message, /malformed SyncML/);
});
