// The wap-provisioningdoc returned inside the RSTRC (MS-MDE2 §2.2.9.1): certificates,
// renewal settings, the w7 APPLICATION (OMA-DM account) and the DMClient provider, then the
// device policies that must be in force before the first OMA-DM session (Windows Hello:
// PassportForWork, issue #16; see docs/protocol-notes.md "Provisioning document").
import { el, empty } from './xml-write.js';

export interface ProvisioningCert {
  /** SHA-1 thumbprint, 40 hex chars. */
  thumbprint: string;
  /** base64 DER, no line breaks. */
  base64: string;
}

export interface PollSchedule {
  intervalForFirstSetOfRetries: number;
  numberOfFirstRetries: number;
  intervalForSecondSetOfRetries: number;
  numberOfSecondRetries: number;
  intervalForRemainingScheduledRetries: number;
  numberOfRemainingScheduledRetries: number;
  pollOnLogin: boolean;
  allUsersPollOnFirstLogin: boolean;
}

/**
 * Default schedule: every 3 min for the first 15 min after enrollment (initial configuration),
 * every 15 min for the next 2 h, then every 8 h forever; plus a session at each sign-in so that
 * per-user profiles follow whoever signs in to a shared PC.
 */
export const DEFAULT_POLL: PollSchedule = {
  intervalForFirstSetOfRetries: 3,
  numberOfFirstRetries: 5,
  intervalForSecondSetOfRetries: 15,
  numberOfSecondRetries: 8,
  intervalForRemainingScheduledRetries: 480,
  numberOfRemainingScheduledRetries: 0,
  pollOnLogin: true,
  allUsersPollOnFirstLogin: true,
};

export interface ProvisioningDoc {
  root: ProvisioningCert;
  client: ProvisioningCert;
  /** 'System' for EnrollmentType=Device (device certificate), 'User' for Full. */
  clientStore: 'User' | 'System';
  /** Subject DN of the client certificate, e.g. "CN=user@contoso.com"; used in SSLCLIENTCERTSEARCHCRITERIA. */
  clientSubject: string;
  renewal?: { serverUrl: string; renewPeriodDays: number; retryIntervalDays: number };
  providerId: string;
  serverName: string;
  managementUrl: string;
  /** OMA-DM digest credentials: the device authenticates to us (APPSRV), we to the device (CLIENT). */
  appSrvAuth: { name: string; secret: string };
  clientAuth: { name: string; secret: string; nonceBase64: string };
  dmClient: {
    entDeviceName?: string;
    entDmId: string;
    upn?: string;
    aadResourceId?: string;
    poll: PollSchedule;
    /**
     * Branding under the provider, as (path under Provider/<id>, value): 'HelpPhoneNumber' is a
     * parm, 'CustomEnrollmentCompletePage/Title' a parm of that characteristic (strings both).
     */
    branding?: { node: string; value: string }[];
  };
  /** Device-tree CSP nodes carried as characteristics after DMClient (only PROVISIONING_CSPS). */
  csps?: WapNode[];
}

/** One leaf of a CSP in the device tree, as the reconciler would Add it. */
export interface WapNode {
  /** ./Device/Vendor/MSFT/<CSP>/… */
  uri: string;
  format: 'bool' | 'int' | 'chr';
  value: string;
}

/**
 * The CSPs this server puts into a provisioning document: Windows processes the document in the
 * device context during enrollment, and PassportForWork is what must hold before the PIN prompt.
 */
export const PROVISIONING_CSPS: readonly string[] = ['PassportForWork'];
const DEVICE_CSP_ROOT = './Device/Vendor/MSFT/';
const DATATYPE = { bool: 'boolean', int: 'integer', chr: 'string' } as const;

// Every value is escaped by the writer: PROVIDER-ID, names and URLs come from the configuration,
// the UPN and device name from the enrollment. A character XML cannot carry is an XmlCharError
// (an InternalServiceFault for the device) rather than a document Windows rejects as a whole.
const parm = (name: string, value: string, datatype?: 'string' | 'integer' | 'boolean') =>
  empty('parm', datatype ? { name, value, datatype } : { name, value });
const characteristic = (type: string, ...children: (string | false | undefined)[]) => el('characteristic', { type }, ...children);

/** URI-escape a subject DN the way SSLCLIENTCERTSEARCHCRITERIA expects (= , and other reserved chars). */
export function searchCriteria(subject: string, store: 'User' | 'System'): string {
  return `Subject=${encodeURIComponent(subject)}&Stores=My%5C${store}`;
}

/** CertificateStore/<store>/<sub>/<thumbprint>, with optional extra characteristics inside <store> (WSTEP). */
function certStore(store: 'Root' | 'My', sub: string, cert: ProvisioningCert, withKeyContainer: boolean, extra = ''): string {
  return characteristic(
    'CertificateStore',
    characteristic(
      store,
      characteristic(
        sub,
        characteristic(cert.thumbprint, parm('EncodedCertificate', cert.base64)),
        withKeyContainer && empty('characteristic', { type: 'PrivateKeyContainer' }),
      ),
      extra,
    ),
  );
}

function renewalBlock(r: NonNullable<ProvisioningDoc['renewal']>): string {
  return characteristic(
    'WSTEP',
    characteristic(
      'Renew',
      parm('ROBOSupport', 'true', 'boolean'),
      parm('RenewPeriod', String(r.renewPeriodDays), 'integer'),
      parm('RetryInterval', String(r.retryIntervalDays), 'integer'),
      parm('ServerURL', r.serverUrl, 'string'),
    ),
  );
}

function application(d: ProvisioningDoc): string {
  return characteristic(
    'APPLICATION',
    parm('APPID', 'w7'),
    parm('PROVIDER-ID', d.providerId),
    parm('NAME', d.serverName),
    parm('ADDR', d.managementUrl),
    parm('CONNRETRYFREQ', '6'),
    parm('INITIALBACKOFFTIME', '30000'),
    parm('MAXBACKOFFTIME', '120000'),
    empty('parm', { name: 'BACKCOMPATRETRYDISABLED' }),
    parm('DEFAULTENCODING', 'application/vnd.syncml.dm+xml'),
    parm('SSLCLIENTCERTSEARCHCRITERIA', searchCriteria(d.clientSubject, d.clientStore)),
    characteristic(
      'APPAUTH',
      parm('AAUTHLEVEL', 'CLIENT'),
      parm('AAUTHTYPE', 'DIGEST'),
      parm('AAUTHNAME', d.clientAuth.name),
      parm('AAUTHSECRET', d.clientAuth.secret),
      parm('AAUTHDATA', d.clientAuth.nonceBase64),
    ),
    characteristic(
      'APPAUTH',
      parm('AAUTHLEVEL', 'APPSRV'),
      parm('AAUTHTYPE', 'DIGEST'),
      parm('AAUTHNAME', d.appSrvAuth.name),
      parm('AAUTHSECRET', d.appSrvAuth.secret),
      parm('AAUTHDATA', d.clientAuth.nonceBase64),
    ),
  );
}

function dmClient(d: ProvisioningDoc): string {
  const c = d.dmClient;
  const p = c.poll;
  return characteristic(
    'DMClient',
    characteristic(
      'Provider',
      characteristic(
        d.providerId,
        parm('EntDMID', c.entDmId, 'string'),
        c.entDeviceName && parm('EntDeviceName', c.entDeviceName, 'string'),
        c.upn && parm('UPN', c.upn, 'string'),
        c.aadResourceId && parm('AADResourceID', c.aadResourceId, 'string'),
        characteristic(
          'Poll',
          parm('IntervalForFirstSetOfRetries', String(p.intervalForFirstSetOfRetries), 'integer'),
          parm('NumberOfFirstRetries', String(p.numberOfFirstRetries), 'integer'),
          parm('IntervalForSecondSetOfRetries', String(p.intervalForSecondSetOfRetries), 'integer'),
          parm('NumberOfSecondRetries', String(p.numberOfSecondRetries), 'integer'),
          parm('IntervalForRemainingScheduledRetries', String(p.intervalForRemainingScheduledRetries), 'integer'),
          parm('NumberOfRemainingScheduledRetries', String(p.numberOfRemainingScheduledRetries), 'integer'),
          parm('PollOnLogin', String(p.pollOnLogin), 'boolean'),
          parm('AllUsersPollOnFirstLogin', String(p.allUsersPollOnFirstLogin), 'boolean'),
        ),
        ...brandingParms(c.branding ?? []),
      ),
    ),
  );
}

/** The branding nodes as parms of the provider, the completion page's in its own characteristic. */
function brandingParms(nodes: { node: string; value: string }[]): string[] {
  const page = nodes.filter((n) => n.node.startsWith('CustomEnrollmentCompletePage/'));
  const out = nodes.filter((n) => !n.node.includes('/')).map((n) => parm(n.node, n.value, 'string'));
  if (page.length) out.push(characteristic('CustomEnrollmentCompletePage', ...page.map((n) => parm(n.node.slice(n.node.indexOf('/') + 1), n.value, 'string'))));
  return out;
}

interface CharTree {
  parms: WapNode[];
  children: Map<string, CharTree>;
}

/**
 * Nested characteristics for device-tree CSP leaves: ./Device/Vendor/MSFT/PassportForWork/<tenant>/
 * Policies/PINComplexity/MinimumPINLength becomes characteristic PassportForWork › <tenant> ›
 * Policies › PINComplexity › parm MinimumPINLength (integer). Nodes keep their first-seen order; a
 * leaf given twice keeps the last value (as the later Replace would). A URI outside the device
 * tree or of a CSP not in PROVISIONING_CSPS is a programming error.
 */
export function cspCharacteristics(nodes: WapNode[]): string {
  const root: CharTree = { parms: [], children: new Map() };
  for (const n of nodes) {
    if (!n.uri.startsWith(DEVICE_CSP_ROOT)) throw new Error(`${n.uri}: not a device-tree CSP node`);
    const segs = n.uri.slice(DEVICE_CSP_ROOT.length).split('/');
    if (segs.length < 2 || segs.some((x) => !x) || !PROVISIONING_CSPS.includes(segs[0])) throw new Error(`${n.uri}: not a provisioning-document CSP node`);
    let at = root;
    for (const seg of segs.slice(0, -1)) {
      let next = at.children.get(seg);
      if (!next) at.children.set(seg, (next = { parms: [], children: new Map() }));
      at = next;
    }
    const leaf = { ...n, uri: segs[segs.length - 1] };
    const i = at.parms.findIndex((p) => p.uri === leaf.uri);
    if (i >= 0) at.parms[i] = leaf;
    else at.parms.push(leaf);
  }
  const write = (t: CharTree): string[] => [
    ...t.parms.map((p) => parm(p.uri, p.value, DATATYPE[p.format])),
    ...[...t.children].map(([type, c]) => characteristic(type, ...write(c))),
  ];
  return [...root.children].map(([type, c]) => characteristic(type, ...write(c))).join('');
}

/** The provisioning document for a new enrollment. */
export function buildProvisioningDoc(d: ProvisioningDoc): string {
  return el(
    'wap-provisioningdoc',
    { version: '1.1' },
    certStore('Root', 'System', d.root, false),
    certStore('My', d.clientStore, d.client, true, d.renewal ? renewalBlock(d.renewal) : ''),
    application(d),
    dmClient(d),
    d.csps?.length ? cspCharacteristics(d.csps) : '',
  );
}

/** The provisioning document for a renewal: the new client certificate and the PROVIDER-ID (MS-MDE2 §3.5.4.1.1.2). */
export function buildRenewalProvisioningDoc(d: {
  root: ProvisioningCert;
  client: ProvisioningCert;
  clientStore: 'User' | 'System';
  providerId: string;
  renewal?: ProvisioningDoc['renewal'];
}): string {
  return el(
    'wap-provisioningdoc',
    { version: '1.1' },
    certStore('Root', 'System', d.root, false),
    certStore('My', d.clientStore, d.client, true, d.renewal ? renewalBlock(d.renewal) : ''),
    characteristic('APPLICATION', parm('APPID', 'w7'), parm('PROVIDER-ID', d.providerId)),
  );
}
