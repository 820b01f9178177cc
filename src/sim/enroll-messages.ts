// The enrollment messages a Windows device sends (MS-MDE2 Discover, MS-XCEP GetPolicies,
// MS-WSTEP RequestSecurityToken), written from the protocol reference for the simulator.
import crypto from 'node:crypto';
import { esc } from '../protocol/xml-write.js';

const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://www.w3.org/2005/08/addressing',
  u: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wst: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  ac: 'http://schemas.xmlsoap.org/ws/2006/12/authorization',
};
const BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary';

export type Credential =
  | { kind: 'entra'; jwt: string; valueType?: string; alphabet?: 'base64' | 'base64url' }
  | { kind: 'password'; username: string; password: string }
  | { kind: 'none' };

function security(c: Credential): string {
  if (c.kind === 'none') return '';
  if (c.kind === 'password') {
    return (
      `<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken u:Id="uuid-${crypto.randomUUID()}-1">` +
      `<wsse:Username>${esc(c.username)}</wsse:Username>` +
      `<wsse:Password wsse:Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${esc(c.password)}</wsse:Password>` +
      `</wsse:UsernameToken></wsse:Security>`
    );
  }
  const vt = c.valueType ?? 'urn:ietf:params:oauth:token-type:jwt';
  const b64 = Buffer.from(c.jwt, 'utf8').toString(c.alphabet ?? 'base64');
  return `<wsse:Security s:mustUnderstand="1"><wsse:BinarySecurityToken ValueType="${vt}" EncodingType="${BASE64}">${b64}</wsse:BinarySecurityToken></wsse:Security>`;
}

function envelope(action: string, to: string, header: string, body: string): string {
  return (
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:u="${NS.u}" xmlns:wsse="${NS.wsse}" xmlns:wst="${NS.wst}" xmlns:ac="${NS.ac}">` +
    `<s:Header><a:Action s:mustUnderstand="1">${action}</a:Action><a:MessageID>urn:uuid:${crypto.randomUUID()}</a:MessageID>` +
    `<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">${esc(to)}</a:To>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

export function discoverMessage(to: string, o: { email: string; requestVersion?: string; authPolicies: string[] }): string {
  return envelope(
    'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover',
    to,
    '',
    `<Discover xmlns="http://schemas.microsoft.com/windows/management/2012/01/enrollment/"><request xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
      `<EmailAddress>${esc(o.email)}</EmailAddress><RequestVersion>${o.requestVersion ?? '5.0'}</RequestVersion>` +
      `<DeviceType>CIMClient_Windows</DeviceType><ApplicationVersion>10.0.22631.4460</ApplicationVersion><OSEdition>4</OSEdition>` +
      `<AuthPolicies>${o.authPolicies.map((p) => `<AuthPolicy>${p}</AuthPolicy>`).join('')}</AuthPolicies></request></Discover>`,
  );
}

export function getPoliciesMessage(to: string, cred: Credential): string {
  return envelope(
    'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies',
    to,
    security(cred),
    `<GetPolicies xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
      `<client><lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client><requestFilter xsi:nil="true"/></GetPolicies>`,
  );
}

export interface RstOptions {
  requestType: 'Issue' | 'Renew';
  /** base64 DER of the PKCS#10 (Issue) or PKCS#7 (Renew). */
  tokenBase64: string;
  context: [string, string][];
}

export function rstMessage(to: string, cred: Credential, o: RstOptions): string {
  const valueType =
    o.requestType === 'Renew'
      ? 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7'
      : 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10';
  return envelope(
    'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep',
    to,
    security(cred),
    `<wst:RequestSecurityToken><wst:TokenType>http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken</wst:TokenType>` +
      `<wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/${o.requestType}</wst:RequestType>` +
      `<wsse:BinarySecurityToken ValueType="${valueType}" EncodingType="${BASE64}">${o.tokenBase64}</wsse:BinarySecurityToken>` +
      `<ac:AdditionalContext xmlns="${NS.ac}">` +
      o.context.map(([n, v]) => `<ac:ContextItem Name="${esc(n)}"><ac:Value>${esc(v)}</ac:Value></ac:ContextItem>`).join('') +
      `</ac:AdditionalContext></wst:RequestSecurityToken>`,
  );
}
