// Who is enrolling: the credential in the WS-Security header of GetPolicies / RST.
// Entra access token (Federated slot) or an on-premises UsernameToken. Identity comes from
// the verified credential only, never from the CSR subject or AdditionalContext.
import { EntraIdentity, EntraTokenError, decodeBinarySecurityToken, looksLikeEntraJwt } from '../identity/entra.js';
import { verifyPassword } from '../identity/passwords.js';
import { SoapFault, SoapRequest } from '../protocol/soap.js';
import type { EnrollmentDeps } from './enrollment-deps.js';

export const ENTRA_JWT_VALUE_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const FEDERATED_USER_TOKEN_VALUE_TYPE =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';

export type EnrollmentPrincipal =
  | { kind: 'entra'; identity: EntraIdentity }
  | { kind: 'onpremise'; username: string };

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

export async function authenticateEnrollment(deps: EnrollmentDeps, req: SoapRequest): Promise<EnrollmentPrincipal> {
  const bst = req.securityToken;
  if (bst) {
    if (bst.valueType !== ENTRA_JWT_VALUE_TYPE && bst.valueType !== FEDERATED_USER_TOKEN_VALUE_TYPE) {
      throw new SoapFault('a:InvalidSecurity', 'Unsupported BinarySecurityToken ValueType in the security header');
    }
    let identity: EntraIdentity;
    try {
      const jwt = decodeBinarySecurityToken(bst.value);
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
    const account = await deps.store.enrollmentAccounts.get(ut.username);
    const ok = await verifyPassword(ut.password, account?.passwordHash);
    if (!ok) throw new SoapFault('s:Authentication', 'The username or password is not valid');
    return { kind: 'onpremise', username: account!.username };
  }
  throw new SoapFault('a:InvalidSecurity', 'The request carries no credential in its WS-Security header');
}
