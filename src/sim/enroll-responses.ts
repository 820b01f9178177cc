// Reading the server's enrollment answers as a device would: DiscoverResponse, faults, and the
// provisioning document inside the RSTRC.
import { type XmlElement, attr, child, childText, children, parseXml, path, text } from '../protocol/xml.js';

export interface SoapFaultInfo {
  subcode: string;
  reason: string;
  errorType?: string;
  relatesTo?: string;
}

export function readFault(xml: string): SoapFaultInfo | undefined {
  const doc = parseXml(xml);
  const env = child(doc, 'Envelope');
  const fault = path(env, 'Body', 'Fault');
  if (!fault) return undefined;
  return {
    subcode: childText(path(fault, 'Code', 'Subcode'), 'Value') ?? '',
    reason: childText(child(fault, 'Reason'), 'Text') ?? '',
    errorType: childText(path(fault, 'Detail', 'DeviceEnrollmentServiceError'), 'ErrorType'),
    relatesTo: childText(child(env, 'Header'), 'RelatesTo'),
  };
}

export function readRelatesTo(xml: string): string | undefined {
  return childText(path(parseXml(xml), 'Envelope', 'Header'), 'RelatesTo');
}

export interface DiscoverResult {
  authPolicy: string;
  enrollmentVersion?: string;
  policyUrl?: string;
  enrollmentUrl: string;
  authenticationUrl?: string;
}

export function readDiscoverResponse(xml: string): DiscoverResult {
  const r = path(parseXml(xml), 'Envelope', 'Body', 'DiscoverResponse', 'DiscoverResult');
  if (!r) throw new Error('not a DiscoverResponse');
  return {
    authPolicy: childText(r, 'AuthPolicy') ?? '',
    enrollmentVersion: childText(r, 'EnrollmentVersion'),
    policyUrl: childText(r, 'EnrollmentPolicyServiceUrl'),
    enrollmentUrl: childText(r, 'EnrollmentServiceUrl') ?? '',
    authenticationUrl: childText(r, 'AuthenticationServiceUrl'),
  };
}

export interface Provisioning {
  xml: string;
  root?: { thumbprint: string; base64: string };
  client?: { thumbprint: string; base64: string; store: string };
  renew?: Record<string, string>;
  application: Record<string, string>;
  appAuth: Record<string, string>[];
  dmClient: Record<string, string>;
  poll: Record<string, string>;
  /**
   * Leaves of the other CSPs the document configures (e.g. PassportForWork), as ./Device LocURIs:
   * Windows applies them at enrollment, before the first OMA-DM session.
   */
  csps: ProvisionedNode[];
}

export interface ProvisionedNode {
  uri: string;
  /** OMA-DM format from the parm's datatype: boolean → bool, integer → int, else chr. */
  format: 'bool' | 'int' | 'chr';
  value: string;
}

const typeOf = (c: XmlElement) => attr(c, 'type') ?? '';
const chars = (el: XmlElement | undefined) => children(el, 'characteristic');
const byType = (el: XmlElement | undefined, t: string) => chars(el).find((c) => typeOf(c) === t);
const parms = (el: XmlElement | undefined): Record<string, string> =>
  Object.fromEntries(children(el, 'parm').map((p) => [attr(p, 'name') ?? '', attr(p, 'value') ?? '']));

const FORMAT_OF: Record<string, ProvisionedNode['format']> = { boolean: 'bool', integer: 'int' };

/** A node name Windows could address: not empty, no '/', not '.' or '..'. */
function nodeName(name: string | undefined, what: string, at: string): string {
  if (!name || name.includes('/') || name === '.' || name === '..')
    throw new Error(`the provisioning document has a ${what} without a usable name under ${at}`);
  return name;
}

/**
 * Every parm under a CSP's characteristic, as a leaf LocURI below `base` (characteristic types are
 * node names). A nameless node, or a name that is both a parm and a characteristic of the same
 * parent, makes the document unusable (Windows rejects it as a whole): an Error, not a half-read tree.
 */
function cspLeaves(c: XmlElement, base: string, out: ProvisionedNode[]): void {
  const here = `${base}/${nodeName(typeOf(c), 'characteristic', base)}`;
  const inner = new Set(chars(c).map(typeOf));
  for (const p of children(c, 'parm')) {
    const name = nodeName(attr(p, 'name'), 'parm', here);
    if (inner.has(name)) throw new Error(`the provisioning document has ${here}/${name} as both a parm and a characteristic`);
    out.push({ uri: `${here}/${name}`, format: FORMAT_OF[attr(p, 'datatype') ?? ''] ?? 'chr', value: attr(p, 'value') ?? '' });
  }
  for (const x of chars(c)) cspLeaves(x, here, out);
}

export function readProvisioningDoc(xml: string): Provisioning {
  const doc = child(parseXml(xml), 'wap-provisioningdoc');
  if (!doc) throw new Error('not a wap-provisioningdoc');
  const out: Provisioning = { xml, application: {}, appAuth: [], dmClient: {}, poll: {}, csps: [] };
  for (const c of chars(doc)) {
    const t = typeOf(c);
    if (t === 'CertificateStore') {
      const root = byType(byType(c, 'Root'), 'System');
      if (root) {
        const cert = chars(root)[0];
        out.root = { thumbprint: typeOf(cert), base64: parms(cert).EncodedCertificate };
      }
      const my = byType(c, 'My');
      for (const store of ['User', 'System']) {
        const s = byType(my, store);
        const cert = chars(s).find((x) => typeOf(x) !== 'PrivateKeyContainer');
        if (cert) out.client = { thumbprint: typeOf(cert), base64: parms(cert).EncodedCertificate, store };
      }
      const renew = byType(byType(my, 'WSTEP'), 'Renew');
      if (renew) out.renew = parms(renew);
    } else if (t === 'APPLICATION') {
      out.application = parms(c);
      out.appAuth = children(c, 'characteristic')
        .filter((x) => typeOf(x) === 'APPAUTH')
        .map(parms);
    } else if (t === 'DMClient') {
      const provider = chars(byType(c, 'Provider'))[0];
      out.dmClient = parms(provider);
      out.dmClient['@id'] = provider ? typeOf(provider) : '';
      out.poll = parms(byType(provider, 'Poll'));
      // Branding's completion page (a characteristic of the provider): its parms as Provider/<id>/CustomEnrollmentCompletePage/<name>.
      for (const [k, v] of Object.entries(parms(byType(provider, 'CustomEnrollmentCompletePage')))) out.dmClient[`CustomEnrollmentCompletePage/${k}`] = v;
    } else {
      cspLeaves(c, './Device/Vendor/MSFT', out.csps);
    }
  }
  return out;
}

/** The provisioning document inside an RSTRC, decoded. */
export function readRstrProvisioning(xml: string): Provisioning {
  const bst = path(
    parseXml(xml),
    'Envelope',
    'Body',
    'RequestSecurityTokenResponseCollection',
    'RequestSecurityTokenResponse',
    'RequestedSecurityToken',
    'BinarySecurityToken',
  );
  if (!bst) throw new Error('no provisioning document in the response');
  return readProvisioningDoc(Buffer.from((text(bst) ?? '').trim(), 'base64').toString('utf8'));
}
