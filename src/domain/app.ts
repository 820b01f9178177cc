// Apps: the catalog (an app, its versions read from the packages themselves, the live one) and
// what a device is told to install. Delivery goes through profiles of kind 'app' (settings
// { app, intent }), so apps share the profiles' per-(device, user) reconciliation, holds,
// targets and dry-run plan; the app's live version reaches the compiler as the profile
// version's context (AppDelivery).

/** msi: EnterpriseDesktopAppManagement; msix: EnterpriseModernAppManagement (msix, appx, bundles); office: the Office CSP. */
export type AppKind = 'msi' | 'msix' | 'office';

export interface AppRecord {
  id: string;
  name: string;
  kind: AppKind;
  publisher?: string;
  description?: string;
  /** What identifies the app across versions: the MSI UpgradeCode (else ProductCode), the MSIX package family name, the Office channel id. */
  identity: string;
  /** The version devices get (absent: none yet). */
  liveVersionId?: string;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

/** What fenestra read of an MSI (its Property table), never what the uploader typed. */
export interface MsiMetadata {
  productCode: string;
  productVersion: string;
  productName: string;
  manufacturer: string;
  upgradeCode?: string;
  productLanguage?: string;
  /** ALLUSERS as authored ('1', '2', or absent): per-machine or per-user install. */
  allUsers?: string;
}

export interface MsixDependency {
  name: string;
  publisher?: string;
  minVersion?: string;
}

/** What fenestra read of an MSIX/APPX package or bundle (its manifest and signature). */
export interface MsixMetadata {
  format: 'msix' | 'appx' | 'msixbundle' | 'appxbundle';
  name: string;
  publisher: string;
  version: string;
  /** x86, x64, arm, arm64, neutral; bundles: the architectures of their packages. */
  architecture: string;
  packageFamilyName: string;
  packageFullName: string;
  displayName?: string;
  publisherDisplayName?: string;
  signed: boolean;
  dependencies: MsixDependency[];
}

export interface OfficeMetadata {
  /** The Office Deployment Tool configuration XML sent to the Office CSP. */
  configurationXml: string;
  /** Installation id node name used under ./Device/Vendor/MSFT/Office/Installation. */
  installationId: string;
}

export interface AppVersion {
  id: string;
  appId: string;
  /** The package's own version (ProductVersion, Identity/@Version). */
  version: string;
  /** upload: sent by an admin; url: a vendor-hosted package fetched once and pinned by SHA-256; office: no package. */
  source: 'upload' | 'url' | 'office';
  sourceUrl?: string;
  /** Content (absent for office). */
  sha256?: string;
  size?: number;
  fileName?: string;
  msi?: MsiMetadata;
  msix?: MsixMetadata;
  office?: OfficeMetadata;
  createdAt: string;
  /** Who added it ("admin:<id>" and the like, as audit actors). */
  createdBy?: string;
}

/**
 * The live version as the compiler needs it: kept in the app profile version's context, so a
 * profile version always names one package (a new live version makes a new profile version,
 * which devices get as an upgrade).
 */
export interface AppDelivery {
  appId: string;
  versionId: string;
  kind: AppKind;
  name: string;
  version: string;
  sha256?: string;
  size?: number;
  msi?: Pick<MsiMetadata, 'productCode' | 'productVersion' | 'upgradeCode'>;
  msix?: Pick<MsixMetadata, 'packageFamilyName' | 'packageFullName' | 'format'> & {
    /** Dependency packages to install with it, when they are in the catalog. */
    dependencies: { sha256: string; size: number }[];
  };
  office?: OfficeMetadata;
}

/** Settings of a profile of kind 'app'. */
export interface AppProfileSettings {
  /** The app's id. */
  app: string;
  intent: 'install' | 'uninstall';
}
