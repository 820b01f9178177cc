// Discovery (MS-MDE2 §3.1): which authentication policy this device gets, and where to enroll.
import { type AuthPolicy, type DiscoverRequest, type DiscoverResponse, negotiateEnrollmentVersion } from '../../protocol/mde2/discover.js';
import { SoapFault } from '../../protocol/soap.js';
import type { Store } from '../../store/types.js';
import { deviceUrls } from '../urls.js';

/**
 * Choose one AuthPolicy per request, from what the client offers and what is configured:
 * - Entra join and work-account enrollments offer Federated and must get Federated (the Entra
 *   access token fills the Federated slot) — when an Entra tenant is connected.
 * - A manual "Enroll only in device management" offers OnPremise (and usually Federated too):
 *   when on-premises enrollment accounts exist it gets OnPremise, so the user is asked for a
 *   username and password; offering Federated only, it gets Federated and the sign-in page.
 * - Nothing usable: a NotSupported fault, so Windows shows an error instead of a dead end.
 */
export function chooseAuthPolicy(offered: AuthPolicy[], entraConnected: boolean, onPremiseAccounts: boolean): AuthPolicy {
  const offersFederated = offered.includes('Federated');
  const offersOnPremise = offered.includes('OnPremise');
  if (offersOnPremise && onPremiseAccounts) return 'OnPremise';
  // The federated sign-in page (http/enrollment-sign-in.ts) signs in Entra users and on-premises accounts alike.
  if (offersFederated && (entraConnected || onPremiseAccounts)) return 'Federated';
  throw new SoapFault(
    's:Authorization',
    offered.length === 0
      ? 'The request lists no authentication policy'
      : `This server has no enrollment method for the offered policies (${offered.join(', ')})`,
    'NotSupported',
  );
}

export async function discover(store: Store, publicUrl: string, req: DiscoverRequest): Promise<DiscoverResponse> {
  const [tenants, accounts] = await Promise.all([store.tenants.list(), store.enrollmentAccounts.count()]);
  const authPolicy = chooseAuthPolicy(req.authPolicies, tenants.length > 0, accounts > 0);
  const urls = deviceUrls(publicUrl);
  return {
    authPolicy,
    enrollmentVersion: negotiateEnrollmentVersion(req.requestVersion),
    enrollmentPolicyServiceUrl: urls.policy,
    enrollmentServiceUrl: urls.enrollment,
    // Required with Federated; Entra flows skip it, a manual enrollment signs in there (rule 14).
    authenticationServiceUrl: authPolicy === 'Federated' ? urls.authenticate : undefined,
  };
}
