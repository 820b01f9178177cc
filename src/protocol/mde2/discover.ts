// MS-MDE2 IDiscoveryService: the Discover request and the DiscoverResponse (§3.1.4.1).
import { SoapFault, type SoapRequest, buildSoapEnvelope } from '../soap.js';
import { child, childText, children, text } from '../xml.js';
import { esc } from '../xml-write.js';

export const DISCOVER_ACTION = 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover';
export const DISCOVER_RESPONSE_ACTION = 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/DiscoverResponse';
const DISCOVERY_NS = 'http://schemas.microsoft.com/windows/management/2012/01/enrollment';

export type AuthPolicy = 'OnPremise' | 'Federated' | 'Certificate';
const AUTH_POLICIES: readonly AuthPolicy[] = ['OnPremise', 'Federated', 'Certificate'];

export interface DiscoverRequest {
  emailAddress?: string;
  /** e.g. "4.0"; undefined when the client did not send one. */
  requestVersion?: string;
  deviceType?: string;
  applicationVersion?: string;
  osEdition?: string;
  authPolicies: AuthPolicy[];
}

export function parseDiscoverRequest(req: SoapRequest): DiscoverRequest {
  if (req.bodyName !== 'Discover') throw new SoapFault('s:MessageFormat', `Expected a Discover request, got ${req.bodyName}`);
  const r = child(req.body, 'request');
  if (!r) throw new SoapFault('s:MessageFormat', 'Discover has no request element');
  const ap = child(r, 'AuthPolicies');
  const policies: AuthPolicy[] = [];
  // Accept <AuthPolicies><AuthPolicy>x</AuthPolicy>…</AuthPolicies> and the published <AuthPolicies>x</AuthPolicies> variant.
  const raw = children(ap, 'AuthPolicy').map((p) => (text(p) ?? '').trim());
  if (raw.length === 0 && ap) raw.push((text(ap) ?? '').trim());
  for (const p of raw) {
    const match = AUTH_POLICIES.find((x) => x.toLowerCase() === p.toLowerCase());
    if (match && !policies.includes(match)) policies.push(match);
  }
  const requestVersion = childText(r, 'RequestVersion') || undefined;
  if (requestVersion !== undefined && !/^\d{1,2}(\.\d{1,2})?$/.test(requestVersion)) {
    throw new SoapFault('s:MessageFormat', `RequestVersion ${JSON.stringify(requestVersion.slice(0, 20))} is not a version number`);
  }
  return {
    emailAddress: childText(r, 'EmailAddress') || undefined,
    requestVersion,
    deviceType: childText(r, 'DeviceType') || undefined,
    applicationVersion: childText(r, 'ApplicationVersion') || undefined,
    osEdition: childText(r, 'OSEdition') || undefined,
    authPolicies: policies,
  };
}

/** Highest enrollment version we implement. 5.0 adds only optional attestation items we may ignore. */
export const MAX_ENROLLMENT_VERSION = 5.0;

/**
 * The EnrollmentVersion values MS-MDE2 §3.1.4.1.3.2 allows (3.0 Windows 8.1, 4.0 Windows 10,
 * 5.0–7.0 later additions), of which we answer up to MAX_ENROLLMENT_VERSION.
 */
const ENROLLMENT_VERSIONS = [3, 4, 5, 6, 7].filter((v) => v <= MAX_ENROLLMENT_VERSION);

/**
 * EnrollmentVersion to answer (rule 7): the highest allowed value not above the client's
 * RequestVersion (4.5 → 4.0, 4.99 → 4.0: never more than the client speaks) nor above what we
 * implement. A client below 3.0 predates the element: it gets none, rather than a value it did
 * not ask for or one outside the allowed set (the element is optional in the response).
 */
export function negotiateEnrollmentVersion(requestVersion: string | undefined): string | undefined {
  if (requestVersion === undefined) return undefined;
  const requested = Number(requestVersion);
  const v = ENROLLMENT_VERSIONS.filter((x) => x <= requested).pop();
  return v === undefined ? undefined : v.toFixed(1);
}

export interface DiscoverResponse {
  authPolicy: AuthPolicy;
  enrollmentVersion?: string;
  enrollmentPolicyServiceUrl: string;
  enrollmentServiceUrl: string;
  authenticationServiceUrl?: string;
}

export function buildDiscoverResponse(resp: DiscoverResponse, env: { relatesTo: string; activityId: string }): string {
  const body =
    `<DiscoverResponse xmlns="${DISCOVERY_NS}"><DiscoverResult>` +
    `<AuthPolicy>${resp.authPolicy}</AuthPolicy>` +
    (resp.enrollmentVersion ? `<EnrollmentVersion>${resp.enrollmentVersion}</EnrollmentVersion>` : '') +
    `<EnrollmentPolicyServiceUrl>${esc(resp.enrollmentPolicyServiceUrl)}</EnrollmentPolicyServiceUrl>` +
    `<EnrollmentServiceUrl>${esc(resp.enrollmentServiceUrl)}</EnrollmentServiceUrl>` +
    (resp.authenticationServiceUrl ? `<AuthenticationServiceUrl>${esc(resp.authenticationServiceUrl)}</AuthenticationServiceUrl>` : '') +
    `</DiscoverResult></DiscoverResponse>`;
  return buildSoapEnvelope({ action: DISCOVER_RESPONSE_ACTION, relatesTo: env.relatesTo, activityId: env.activityId }, body);
}
