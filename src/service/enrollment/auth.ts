// Who is enrolling: the credential in the WS-Security header of GetPolicies / RST.
// Entra access token (Federated slot) or an on-premises UsernameToken. Identity comes from
// the verified credential only, never from the CSR subject or AdditionalContext.
import { type EntraIdentity, EntraTokenError, decodeBinarySecurityToken, looksLikeEntraJwt } from '../../identity/entra.js';
import { PasswordHashBusyError, verifyPassword } from '../../identity/passwords.js';
import { SoapFault, type SoapRequest } from '../../protocol/soap.js';
import type { EnrollmentDeps } from './deps.js';
import { FederatedTokenError, looksLikeFederatedToken, verifyFederatedToken } from './federated-token.js';

export const ENTRA_JWT_VALUE_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const FEDERATED_USER_TOKEN_VALUE_TYPE = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';

export type EnrollmentPrincipal = { kind: 'entra'; identity: EntraIdentity } | { kind: 'onpremise'; username: string };

function entraFault(err: EntraTokenError): SoapFault {
  switch (err.code) {
    case 'jwks_unavailable':
      return new SoapFault('s:EnrollmentServer', 'The identity provider signing keys could not be fetched; try again later');
    case 'unknown_tenant':
      return new SoapFault('s:Authorization', 'The Entra tenant of this token is not connected to this server');
    default:
      return new SoapFault('s:Authentication', `The Entra token was refused (${err.code})`);
  }
}

/** A refusal to answer later (throttled, busy): sent with its HTTP status and Retry-After. */
export class RetryLaterFault extends SoapFault {
  readonly retryAfterSeconds: number;
  readonly httpStatus: number;
  readonly outcome: string;
  constructor(subcode: SoapFault['subcode'], reason: string, retryAfterSeconds: number, httpStatus: number, outcome: string) {
    super(subcode, reason);
    this.retryAfterSeconds = retryAfterSeconds;
    this.httpStatus = httpStatus;
    this.outcome = outcome;
  }
}

const BUSY_RETRY_SECONDS = 5;

/**
 * The user of a token from the federated sign-in page (federated-token.ts): signed by this server,
 * not expired, for enrollment, its user still there. `consume` (the RST, not GetPolicies): its
 * one-time id is recorded, and a token seen before is refused.
 */
async function federatedPrincipal(deps: EnrollmentDeps, jwt: string, consume: boolean): Promise<EnrollmentPrincipal> {
  if (!deps.federatedTokenKey) throw new SoapFault('s:Authentication', 'This server does not accept sign-in tokens of its own');
  const now = deps.now();
  let claims;
  try {
    claims = await verifyFederatedToken(deps.federatedTokenKey, jwt, now);
  } catch (err) {
    if (err instanceof FederatedTokenError) throw new SoapFault('s:Authentication', `The sign-in token was refused (${err.code}): sign in again`);
    throw err;
  }
  const user = claims.user;
  let principal: EnrollmentPrincipal;
  if (user.kind === 'entra') {
    const tenant = await deps.store.tenants.get(user.tenantId);
    if (!tenant) throw new SoapFault('s:Authorization', 'The Entra tenant of this sign-in is no longer connected to this server');
    // Signed in on the page, not an access token for the MDM application: no AADResourceID to give the device.
    const identity: EntraIdentity = {
      tenantId: user.tenantId,
      objectId: user.objectId,
      upn: user.upn,
      audience: '',
      tokenVersion: 'v2',
      expiresAt: claims.expiresAt,
      cloud: tenant.cloud,
    };
    principal = { kind: 'entra', identity };
  } else {
    const account = await deps.store.enrollmentAccounts.get(user.username);
    if (!account) throw new SoapFault('s:Authentication', 'The enrollment account of this sign-in no longer exists');
    principal = { kind: 'onpremise', username: account.username };
  }
  if (consume && !(await deps.store.enrollmentTokensUsed.consume(claims.jti, claims.expiresAt.toISOString(), now.toISOString()))) {
    throw new SoapFault('s:Authentication', 'The sign-in token was used already (replayed): sign in again');
  }
  return principal;
}

/**
 * `from`: the client's address (http/client-address.ts), for the login throttle. `consume`: the
 * credential is spent by this request (the RST): a one-time token cannot be presented again.
 */
export async function authenticateEnrollment(deps: EnrollmentDeps, req: SoapRequest, from?: string, consume = false): Promise<EnrollmentPrincipal> {
  const bst = req.securityToken;
  if (bst) {
    if (bst.valueType !== ENTRA_JWT_VALUE_TYPE && bst.valueType !== FEDERATED_USER_TOKEN_VALUE_TYPE) {
      throw new SoapFault('a:InvalidSecurity', 'Unsupported BinarySecurityToken ValueType in the security header');
    }
    let identity: EntraIdentity;
    try {
      const jwt = decodeBinarySecurityToken(bst.value);
      // The federated sign-in page's own token (rule 14), told apart by its header's type.
      if (looksLikeFederatedToken(jwt)) return await federatedPrincipal(deps, jwt, consume);
      if (!looksLikeEntraJwt(jwt)) throw new EntraTokenError('malformed', 'not an Entra access token');
      identity = await deps.entra.validate(jwt);
    } catch (err) {
      if (err instanceof EntraTokenError) throw entraFault(err);
      throw err;
    }
    // The validator already required a connected tenant (lookupTenant): no second lookup.
    return { kind: 'entra', identity };
  }
  const ut = req.usernameToken;
  if (ut) {
    if (ut.username.length > 256 || ut.password.length > 1024) {
      throw new SoapFault('s:Authentication', 'The username or password is not valid');
    }
    // Throttled before the account is even looked up: known and unknown usernames alike.
    const key = `enroll:${ut.username.toLowerCase()}`;
    const verdict = deps.loginThrottle?.check(key, from) ?? { ok: true };
    if (!verdict.ok) {
      throw new RetryLaterFault(
        's:Authentication',
        `Too many failed sign-in attempts; try again in ${verdict.retryAfterSeconds} seconds`,
        verdict.retryAfterSeconds,
        500,
        'throttled',
      );
    }
    const account = await deps.store.enrollmentAccounts.get(ut.username);
    let ok: boolean;
    try {
      ok = await verifyPassword(ut.password, account?.passwordHash);
    } catch (err) {
      if (err instanceof PasswordHashBusyError)
        throw new RetryLaterFault('s:EnrollmentServer', 'The server is busy; try again in a few seconds', BUSY_RETRY_SECONDS, 503, 'busy');
      throw err;
    }
    if (!ok) {
      deps.loginThrottle?.failed(key, from);
      throw new SoapFault('s:Authentication', 'The username or password is not valid');
    }
    deps.loginThrottle?.succeeded(key, from);
    return { kind: 'onpremise', username: account!.username };
  }
  throw new SoapFault('a:InvalidSecurity', 'The request carries no credential in its WS-Security header');
}
