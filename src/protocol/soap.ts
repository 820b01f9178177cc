// SOAP 1.2 envelopes with WS-Addressing and WS-Security, as used by MS-MDE2, MS-XCEP and
// MS-WSTEP. Pure functions: parse an inbound envelope, build responses and faults.
import { type XmlElement, XmlError, attr, child, childText, children, parseXml, text } from './xml.js';
import { esc, escLenient } from './xml-write.js';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  diagnostics: 'http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics',
  enrollment: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment',
} as const;

/** MS-MDE2 §2.2.10 fault subcodes (namespace prefix included as sent on the wire). */
export type FaultSubcode =
  's:MessageFormat' | 's:Authentication' | 's:Authorization' | 's:CertificateRequest' | 's:EnrollmentServer' | 'a:InternalServiceFault' | 'a:InvalidSecurity';

/** deviceenrollmentserviceerror/errortype values (MS-MDE2 §2.2.10). */
export type FaultErrorType =
  | 'DeviceCapReached'
  | 'DeviceNotSupported'
  | 'NotSupported'
  | 'NotEligibleToRenew'
  | 'InMaintenance'
  | 'UserLicense'
  | 'InvalidEnrollmentData'
  | 'CustomServerError';

/** A refusal that the endpoint renders as an MS-MDE2 SOAP fault. */
export class SoapFault extends Error {
  public readonly subcode: FaultSubcode;
  public readonly reason: string;
  public readonly errorType?: FaultErrorType;
  constructor(subcode: FaultSubcode, reason: string, errorType?: FaultErrorType) {
    super(`${subcode}: ${reason}`);
    this.subcode = subcode;
    this.reason = reason;
    this.errorType = errorType;
  }
}

export interface BinarySecurityToken {
  valueType: string;
  encodingType: string;
  value: string;
}

export interface UsernameToken {
  username: string;
  password: string;
  passwordType: string;
}

export interface SoapRequest {
  action: string;
  messageId: string;
  to?: string;
  usernameToken?: UsernameToken;
  securityToken?: BinarySecurityToken;
  /** The first element inside s:Body. */
  bodyName: string;
  body: XmlElement;
}

export const MAX_SOAP_BYTES = 256 * 1024;

function firstElementName(el: XmlElement): string | undefined {
  for (const k of Object.keys(el)) if (k[0] !== '@' && k[0] !== '#') return k;
  return undefined;
}

/** Parse an inbound SOAP envelope. Any problem becomes a MessageFormat (or InvalidSecurity) fault. */
export function parseSoapRequest(xml: string | Buffer): SoapRequest {
  let doc: XmlElement;
  try {
    doc = parseXml(xml, { maxBytes: MAX_SOAP_BYTES, maxDepth: 24 });
  } catch (err) {
    if (err instanceof XmlError) throw new SoapFault('s:MessageFormat', `The request is not acceptable XML: ${err.message}`);
    throw err;
  }
  const env = child(doc, 'Envelope');
  if (!env) throw new SoapFault('s:MessageFormat', 'The request is not a SOAP envelope');
  const header = child(env, 'Header');
  const body = child(env, 'Body');
  if (!body) throw new SoapFault('s:MessageFormat', 'The SOAP envelope has no Body');
  const bodyName = firstElementName(body);
  if (!bodyName) throw new SoapFault('s:MessageFormat', 'The SOAP Body is empty');
  const action = childText(header, 'Action');
  if (!action) throw new SoapFault('s:MessageFormat', 'The WS-Addressing Action header is missing');
  const messageId = childText(header, 'MessageID') ?? '';
  if (!messageId) throw new SoapFault('s:MessageFormat', 'The WS-Addressing MessageID header is missing');
  if (messageId.length > 256) throw new SoapFault('s:MessageFormat', 'The WS-Addressing MessageID is too long');

  const req: SoapRequest = { action, messageId, to: childText(header, 'To'), bodyName, body: child(body, bodyName)! };
  const security = child(header, 'Security');
  if (security) {
    const ut = child(security, 'UsernameToken');
    if (ut) {
      const pw = child(ut, 'Password');
      const username = childText(ut, 'Username');
      if (!username || !pw) throw new SoapFault('a:InvalidSecurity', 'The UsernameToken needs a Username and a Password');
      const passwordType = attr(pw, 'Type') ?? '';
      if (passwordType && !passwordType.endsWith('#PasswordText')) {
        throw new SoapFault('a:InvalidSecurity', 'Only PasswordText UsernameTokens are supported');
      }
      req.usernameToken = { username, password: text(pw) ?? '', passwordType };
    }
    const bsts = children(security, 'BinarySecurityToken');
    if (bsts.length > 1) throw new SoapFault('a:InvalidSecurity', 'More than one BinarySecurityToken in the security header');
    if (bsts.length === 1) {
      const b = bsts[0];
      req.securityToken = {
        valueType: (attr(b, 'ValueType') ?? '').trim(),
        encodingType: (attr(b, 'EncodingType') ?? '').trim(),
        value: (text(b) ?? '').trim(),
      };
    }
  }
  return req;
}

/**
 * Normalise a MessageID for RelatesTo: the samples carry 'urn:uuid: …' with a space; echo verbatim but trimmed.
 * The device's own text, echoed also in faults: lenient, so that no MessageID can make a reply fail.
 */
function relatesTo(messageId: string): string {
  return escLenient(messageId.trim());
}

export interface EnvelopeOptions {
  action: string;
  relatesTo?: string;
  activityId: string;
  /** Add o:Security/u:Timestamp (RSTRC). */
  timestamp?: { created: Date; expires: Date };
}

/** Build a SOAP 1.2 response envelope around an already-serialised body. */
export function buildSoapEnvelope(opts: EnvelopeOptions, bodyXml: string): string {
  const ts = opts.timestamp
    ? `<o:Security s:mustUnderstand="1" xmlns:o="${NS.wsse}"><u:Timestamp u:Id="_0"><u:Created>${opts.timestamp.created.toISOString()}</u:Created><u:Expires>${opts.timestamp.expires.toISOString()}</u:Expires></u:Timestamp></o:Security>`
    : '';
  return (
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.addressing}" xmlns:u="${NS.wsu}">` +
    `<s:Header>` +
    `<a:Action s:mustUnderstand="1">${esc(opts.action)}</a:Action>` +
    `<ActivityId CorrelationId="${esc(opts.activityId)}" xmlns="${NS.diagnostics}">${esc(opts.activityId)}</ActivityId>` +
    (opts.relatesTo ? `<a:RelatesTo>${relatesTo(opts.relatesTo)}</a:RelatesTo>` : '') +
    ts +
    `</s:Header>` +
    `<s:Body>${bodyXml}</s:Body>` +
    `</s:Envelope>`
  );
}

/** Build an MS-MDE2 SOAP fault (§2.2.10). */
export function buildSoapFault(
  fault: { subcode: FaultSubcode; reason: string; errorType?: FaultErrorType },
  opts: { action: string; relatesTo?: string; activityId: string; traceId: string },
): string {
  // Reasons quote what the client sent (an action, a certificate error), cut to a length that may
  // split a surrogate pair; the fault is the last answer we have, so it is written leniently.
  const reason = escLenient(fault.reason);
  const detail = fault.errorType
    ? `<s:Detail><DeviceEnrollmentServiceError xmlns="${NS.enrollment}"><ErrorType>${fault.errorType}</ErrorType><Message>${reason}</Message><TraceId>${esc(opts.traceId)}</TraceId></DeviceEnrollmentServiceError></s:Detail>`
    : '';
  const body =
    `<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>${fault.subcode}</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">${reason}</s:Text></s:Reason>${detail}</s:Fault>`;
  return buildSoapEnvelope({ action: opts.action, relatesTo: opts.relatesTo, activityId: opts.activityId }, body);
}
