// The MsiInstallJob document EnterpriseDesktopAppManagement's DownloadInstall Exec carries
// (Learn: "EnterpriseDesktopAppManagement CSP", DownloadInstall): where to download the MSI,
// the SHA-256 Windows checks it against, and how msiexec runs it. Pure.
import { el, tx } from '../xml-write.js';

/** How msiexec runs the package: silently, for at most TimeOut minutes, retried RetryCount times RetryInterval minutes apart. */
export const MSI_ENFORCEMENT = { commandLine: '/quiet', timeoutMinutes: 30, retryCount: 3, retryIntervalMinutes: 5 } as const;

export interface MsiJob {
  /** `{GUID}`, upper case. */
  productCode: string;
  productVersion: string;
  /** Where Windows downloads the MSI: a `{{content:<sha256>}}` token, resolved to a signed URL when sent. */
  contentUrl: string;
  /** SHA-256 of the package, lower-case hex. */
  sha256: string;
}

export function msiInstallJob(j: MsiJob): string {
  const e = MSI_ENFORCEMENT;
  return el(
    'MsiInstallJob',
    { id: j.productCode },
    el(
      'Product',
      { Version: j.productVersion },
      el('Download', null, el('ContentURLList', null, tx('ContentURL', j.contentUrl))),
      el('Validation', null, tx('FileHash', j.sha256)),
      el(
        'Enforcement',
        null,
        tx('CommandLine', e.commandLine),
        tx('TimeOut', e.timeoutMinutes),
        tx('RetryCount', e.retryCount),
        tx('RetryInterval', e.retryIntervalMinutes),
      ),
    ),
  );
}
