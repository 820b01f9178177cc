// MS-XCEP IPolicy: GetPolicies request and GetPoliciesResponse, in the form MS-MDE2 requires
// (policySchema 3, one policy, key length and hash algorithm are what Windows honours).
import { SoapFault, type SoapRequest, buildSoapEnvelope } from '../soap.js';
import { attr, child } from '../xml.js';

export const GET_POLICIES_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies';
export const GET_POLICIES_RESPONSE_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse';
const XCEP_NS = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * Validate the GetPolicies body: MS-XCEP §3.1.4.1.2.1 requires a client element that is not nil
 * (rule 15: absent or `xsi:nil="true"` is a fault); its children may be nil.
 */
export function parseGetPoliciesRequest(req: SoapRequest): void {
  if (req.bodyName !== 'GetPolicies') throw new SoapFault('s:MessageFormat', `Expected GetPolicies, got ${req.bodyName}`);
  const client = child(req.body, 'client');
  if (!client) throw new SoapFault('s:MessageFormat', 'GetPolicies has no client element');
  const nil = attr(client, 'nil')?.trim();
  if (nil === 'true' || nil === '1') throw new SoapFault('s:MessageFormat', 'GetPolicies client element is nil');
}

export interface PolicyOptions {
  minimalKeyLength: number;
  validitySeconds: number;
  renewalSeconds: number;
}

const NIL = ` xsi:nil="true"`;

export function buildGetPoliciesResponse(p: PolicyOptions, env: { relatesTo: string; activityId: string }): string {
  const body =
    `<GetPoliciesResponse xmlns="${XCEP_NS}" xmlns:xsi="${XSI}">` +
    `<response><policyID/><policyFriendlyName${NIL}/><nextUpdateHours${NIL}/><policiesNotChanged${NIL}/>` +
    `<policies><policy><policyOIDReference>0</policyOIDReference><cAs${NIL}/><attributes>` +
    `<commonName>FenestraDeviceCertificate</commonName><policySchema>3</policySchema>` +
    `<certificateValidity><validityPeriodSeconds>${p.validitySeconds}</validityPeriodSeconds>` +
    `<renewalPeriodSeconds>${p.renewalSeconds}</renewalPeriodSeconds></certificateValidity>` +
    `<permission><enroll>true</enroll><autoEnroll>false</autoEnroll></permission>` +
    `<privateKeyAttributes><minimalKeyLength>${p.minimalKeyLength}</minimalKeyLength>` +
    `<keySpec${NIL}/><keyUsageProperty${NIL}/><permissions${NIL}/><algorithmOIDReference${NIL}/>` +
    `<cryptoProviders><provider>Microsoft Platform Crypto Provider</provider><provider>Microsoft Software Key Storage Provider</provider></cryptoProviders>` +
    `</privateKeyAttributes>` +
    `<revision><majorRevision>101</majorRevision><minorRevision>0</minorRevision></revision>` +
    `<supersededPolicies${NIL}/><privateKeyFlags${NIL}/><subjectNameFlags${NIL}/><enrollmentFlags${NIL}/><generalFlags${NIL}/>` +
    `<hashAlgorithmOIDReference>0</hashAlgorithmOIDReference><rARequirements${NIL}/><keyArchivalAttributes${NIL}/><extensions${NIL}/>` +
    `</attributes></policy></policies></response>` +
    `<cAs${NIL}/>` +
    `<oIDs><oID><value>2.16.840.1.101.3.4.2.1</value><group>1</group><oIDReferenceID>0</oIDReferenceID><defaultName>szOID_NIST_sha256</defaultName></oID></oIDs>` +
    `</GetPoliciesResponse>`;
  return buildSoapEnvelope({ action: GET_POLICIES_RESPONSE_ACTION, relatesTo: env.relatesTo, activityId: env.activityId }, body);
}
