// What the enrollment services need, passed explicitly.
import type { CertificateAuthority } from '../../pki/ca.js';
import type { EntraValidator } from '../../identity/entra.js';
import type { LoginThrottle } from '../../identity/throttle.js';
import type { Store } from '../../store/types.js';
import type { ProvisioningProfiles } from './provisioned-profiles.js';

export interface EnrollmentSettings {
  publicUrl: string;
  providerId: string;
  serverName: string;
  certValidityDays: number;
  renewPeriodDays: number;
  retryIntervalDays: number;
  minRsaBits: number;
}

export interface EnrollmentDeps {
  settings: EnrollmentSettings;
  store: Store;
  ca: CertificateAuthority;
  entra: EntraValidator;
  /** HMAC key of the federated sign-in page's tokens (federated-token.ts); without it they are refused. */
  federatedTokenKey?: Buffer;
  /** HMAC key for the Terms-of-Use OpaqueBlob. */
  blobSecret: Buffer;
  now: () => Date;
  /** Throttle of UsernameToken guessing (one per process, shared with OMA-DM digest). */
  loginThrottle?: LoginThrottle;
  /** The profile catalog: Windows Hello policies that apply ride in the provisioning document (issue #16). */
  profiles?: ProvisioningProfiles;
}
