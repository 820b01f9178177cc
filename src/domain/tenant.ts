// Entra tenants connected to fenestra, and the on-premises enrollment accounts.

export type Cloud = 'standard' | 'gcc-high';

export interface Tenant {
  tenantId: string;
  cloud: Cloud;
  audiences: string[];
  enrollmentUrl?: string;
  remediationUrl?: string;
  /** Client ID of the application the customer registered for fenestra in their tenant. */
  appClientId?: string;
  /** That application's credential, sealed at rest; never returned. */
  appCredential?: TenantAppCredential;
  /** The last validation of the connection (token, organization, service principal, permissions). */
  validation?: TenantValidation;
  /** The tenant's verified domain names (lower case), read from Microsoft Graph at each validation. */
  domains?: string[];
  /** How the compliance reports to Microsoft Graph last went: refused (Graph's reason) since `at`, or going through since `at`. */
  complianceReporting?: ComplianceReporting;
  createdAt: string;
  updatedAt: string;
}

export interface ComplianceReporting {
  state: 'ok' | 'refused';
  error?: string;
  at: string;
}

export type AppCredentialKind = 'secret' | 'certificate';

export interface TenantAppCredential {
  kind: AppCredentialKind;
  /** The secret, or the certificate and its private key, sealed under the server's key. */
  sealed: string;
  /** Certificate: SHA-1 thumbprint in upper-case hex, as the Azure portal shows it. */
  thumbprint?: string;
  /** Certificate: its end of validity (ISO 8601). */
  notAfter?: string;
  /** When this credential was set (ISO 8601); absent on credentials set before it was recorded. */
  setAt?: string;
}

export interface TenantValidationCheck {
  /** Stable name, e.g. "tenant", "credential", "consent", "permissions". */
  name: string;
  ok: boolean;
  /** What was found, or what to do about it, in an administrator's words. */
  message: string;
}

export interface TenantValidation {
  at: string;
  ok: boolean;
  checks: TenantValidationCheck[];
}

export interface EnrollmentAccount {
  username: string;
  passwordHash: string;
  createdAt: string;
}
