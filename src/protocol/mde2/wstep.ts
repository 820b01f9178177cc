// MS-WSTEP (WS-Trust 1.3) as profiled by MS-MDE2: RequestSecurityToken in,
// RequestSecurityTokenResponseCollection (with the base64 provisioning document) out.
import { SoapFault, type SoapRequest, buildSoapEnvelope } from '../soap.js';
import { attr, child, childText, children, text } from '../xml.js';

export const RST_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep';
export const RSTRC_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep';
export const DEVICE_ENROLLMENT_TOKEN = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken';
const PROVISION_DOC_TYPE = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc';
const BASE64_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary';
const WST_NS = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const ENROLL_NS = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment';

export const REQUEST_TYPES = {
  issue: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
  renew: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew',
  recovery: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Recovery',
} as const;
export type RequestKind = keyof typeof REQUEST_TYPES;

export const PKCS10_VALUE_TYPE = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10';
export const PKCS7_VALUE_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7';

export interface RstRequest {
  requestKind: RequestKind;
  /** 'pkcs10' for Issue, 'pkcs7' for renewal. */
  tokenKind: 'pkcs10' | 'pkcs7';
  /** Base64 DER of the CSR or PKCS#7, whitespace removed. */
  tokenBase64: string;
  /** AdditionalContext items by name; names may repeat (MAC, IMEI). */
  context: Map<string, string[]>;
}

export function contextValue(req: RstRequest, name: string): string | undefined {
  return req.context.get(name)?.[0];
}

const MAX_CONTEXT_ITEMS = 256;

export function parseRstRequest(req: SoapRequest): RstRequest {
  if (req.bodyName !== 'RequestSecurityToken') {
    throw new SoapFault('s:MessageFormat', `Expected RequestSecurityToken, got ${req.bodyName}`);
  }
  const b = req.body;
  const tokenType = childText(b, 'TokenType');
  if (tokenType !== DEVICE_ENROLLMENT_TOKEN) {
    throw new SoapFault('s:MessageFormat', 'TokenType must be the MS-MDE2 DeviceEnrollmentToken');
  }
  const rt = childText(b, 'RequestType');
  const requestKind = (Object.keys(REQUEST_TYPES) as RequestKind[]).find((k) => REQUEST_TYPES[k] === rt);
  if (!requestKind) throw new SoapFault('s:MessageFormat', 'RequestType must be Issue, Renew or Recovery');
  const bst = child(b, 'BinarySecurityToken');
  if (!bst) throw new SoapFault('s:MessageFormat', 'The request carries no BinarySecurityToken (certificate request)');
  const valueType = (attr(bst, 'ValueType') ?? '').trim();
  const tokenKind = valueType === PKCS10_VALUE_TYPE ? 'pkcs10' : valueType === PKCS7_VALUE_TYPE ? 'pkcs7' : undefined;
  if (!tokenKind) throw new SoapFault('s:MessageFormat', 'The BinarySecurityToken must be a PKCS#10 or PKCS#7 request');
  const tokenBase64 = (text(bst) ?? '').replace(/\s+/g, '');
  if (!tokenBase64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(tokenBase64)) {
    throw new SoapFault('s:MessageFormat', 'The BinarySecurityToken is not base64');
  }
  const context = new Map<string, string[]>();
  const items = children(child(b, 'AdditionalContext'), 'ContextItem');
  if (items.length > MAX_CONTEXT_ITEMS) throw new SoapFault('s:MessageFormat', 'Too many AdditionalContext items');
  for (const item of items) {
    const name = attr(item, 'Name');
    if (!name) continue;
    const value = childText(item, 'Value') ?? '';
    const list = context.get(name);
    if (list) list.push(value);
    else context.set(name, [value]);
  }
  return { requestKind, tokenKind, tokenBase64, context };
}

export function buildRstrResponse(provisioningDoc: string, env: { relatesTo: string; activityId: string; now: Date }): string {
  const b64 = Buffer.from(provisioningDoc, 'utf8').toString('base64');
  const body =
    `<RequestSecurityTokenResponseCollection xmlns="${WST_NS}"><RequestSecurityTokenResponse>` +
    `<TokenType>${DEVICE_ENROLLMENT_TOKEN}</TokenType>` +
    `<DispositionMessage xmlns="${ENROLL_NS}"/>` +
    `<RequestedSecurityToken><BinarySecurityToken ValueType="${PROVISION_DOC_TYPE}" EncodingType="${BASE64_ENCODING}" xmlns="${WSSE_NS}">${b64}</BinarySecurityToken></RequestedSecurityToken>` +
    `<RequestID xmlns="${ENROLL_NS}">0</RequestID>` +
    `</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>`;
  return buildSoapEnvelope(
    {
      action: RSTRC_ACTION,
      relatesTo: env.relatesTo,
      activityId: env.activityId,
      timestamp: { created: env.now, expires: new Date(env.now.getTime() + 5 * 60_000) },
    },
    body,
  );
}
