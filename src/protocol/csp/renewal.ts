// The certificate renewal settings a device holds: CertificateStore/My/WSTEP/Renew (MS-MDE2
// §2.2.9.2), as the provisioning document sets them at enrollment and renewal (wap.ts) and as
// one Atomic of Replaces afterwards when the server's settings change (rule 60).
import type { CommandPayload } from '../../domain/command.js';

export interface RenewalSettings {
  /** Days before expiry at which the device starts renewing (RenewPeriod). */
  renewPeriodDays: number;
  /** Days between renewal attempts (RetryInterval, 1–1000 and at most RenewPeriod: rule 58). */
  retryIntervalDays: number;
}

/** The node the provisioning document's CertificateStore › My › WSTEP › Renew characteristic is. */
export const RENEW_NODE = './Vendor/MSFT/CertificateStore/My/WSTEP/Renew';

/**
 * ROBOSupport, RenewPeriod and RetryInterval in one Atomic (MS-MDE2 §2.2.9.2: a change of them
 * over OMA-DM is wrapped in one Atomic, so the device never holds half of a schedule). The nodes
 * exist from the provisioning document, so each is a Replace.
 */
export function renewalSettingsPayload(r: RenewalSettings): CommandPayload {
  const replace = (name: string, format: 'bool' | 'int', data: string) => ({
    kind: 'Replace' as const,
    items: [{ target: `${RENEW_NODE}/${name}`, format, data }],
  });
  return {
    kind: 'Atomic',
    commands: [
      replace('ROBOSupport', 'bool', 'true'),
      replace('RenewPeriod', 'int', String(r.renewPeriodDays)),
      replace('RetryInterval', 'int', String(r.retryIntervalDays)),
    ],
  };
}
