// What the simulated app CSPs report: the EnterpriseDesktopAppManagement (MSI) and
// EnterpriseModernAppManagement (MSIX) status codes (DDF, Learn), the HRESULTs Windows puts in
// LastError for each failure, and the alerts Windows sends when a job ends.

/** MSI/{ProductID}/Status (EnterpriseDesktopAppManagement DDF). */
export const MSI_STATUS = {
  initialized: 10,
  downloading: 20,
  downloadRetry: 25,
  downloadFailed: 30,
  downloaded: 40,
  pendingUserSession: 48,
  enforcing: 50,
  enforcementRetry: 55,
  enforcementFailed: 60,
  installed: 70,
} as const;

/** AppInstallation/{PFN}/Status (EnterpriseModernAppManagement DDF, "Get status of app installations"). */
export const MSIX_STATUS = { notInstalled: 0, installing: 1, failed: 2, installed: 3 } as const;

export interface HResult {
  code: number;
  desc: string;
}

/** The failures the simulator reports, as Windows' HRESULTs and messages. */
export const HRESULT = {
  /** TRUST_E_BAD_DIGEST: the downloaded file does not match <FileHash>. */
  badDigest: { code: 0x80096010, desc: 'The digital signature of the object did not verify.' },
  /** WININET_E_CONNECTION_ABORTED: the download connection was dropped. */
  connectionAborted: { code: 0x80072efe, desc: 'The connection with the server was terminated abnormally' },
  /** ERROR_INSTALL_FAILURE as an HRESULT: msiexec's "fatal error during installation" (1603). */
  installFailure: { code: 0x80070643, desc: 'Fatal error during installation.' },
  /** ERROR_INSTALL_PACKAGE_INVALID (1620): the file is not an MSI msiexec can open. */
  msiInvalid: {
    code: 0x80070654,
    desc: 'This installation package could not be opened. Contact the application vendor to verify that this is a valid Windows Installer package.',
  },
  /** ERROR_INSTALL_OPEN_PACKAGE_FAILED: the MSIX/APPX package could not be opened. */
  appxOpenFailed: { code: 0x80073cf0, desc: 'Package could not be opened.' },
  /** APPX_E_BLOCK_HASH_INVALID: the package's bytes do not match its block map. */
  appxBlockHash: { code: 0x80080207, desc: 'The package contents do not match its block map.' },
  /** ERROR_INSTALL_PACKAGE_NOT_FOUND: RemovePackage of a package that is not installed. */
  appxNotFound: { code: 0x80073cf1, desc: 'Package was not found.' },
  /** ERROR_INSTALL_FAILED, the MSIX deployment's generic failure. */
  appxInstallFailed: { code: 0x80073cf9, desc: 'Install failed.' },
} as const satisfies Record<string, HResult>;

/** An HTTP error status as BITS reports it: BG_E_HTTP_ERROR_<status> (0x80190000 + status). */
export function httpError(status: number): HResult {
  return { code: 0x80190000 + status, desc: `HTTP status ${status}` };
}

/** LastError as the int node holds it: the HRESULT as a signed 32-bit decimal. */
export const asInt = (code: number): string => String(code | 0);

/**
 * The alert that ends an MSI job (Learn, EnterpriseDesktopAppManagement "Alert example"): the text
 * says a generic alert, the example (from a device) is an Alert 1224 with this Type, Format int,
 * Mark informational and the HRESULT as Data; the simulator sends what the example shows.
 */
export const MSI_ALERT_CODE = '1224';
export const MSI_ALERT_TYPE = 'Reversed-Domain-Name:com.microsoft.mdm.win32csp_install';
/** 1226 Type of the alert that ends a HostedInstall (Learn, "Enterprise app management"). */
export const MSIX_INSTALL_ALERT_TYPE = 'Reversed-Domain-Name:com.microsoft.mdm.EnterpriseHostedAppInstall.result';
/** 1226 Type of the alert that ends an uninstall (Learn, "Alert for app uninstall"). */
export const MSIX_UNINSTALL_ALERT_TYPE = 'Reversed-Domain-Name:com.microsoft.mdm.EnterpriseAppUninstall.result';
