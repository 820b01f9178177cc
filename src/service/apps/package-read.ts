// What an uploaded package says about itself, read from the stored content through the package
// readers (protocol/packages): its kind, the identity that ties its versions into one app, and
// the names the catalog shows. Nothing the uploader typed is used, only the file name's extension
// (APPX or MSIX format of a zip package).
import type { AppKind, MsiMetadata, MsixMetadata } from '../../domain/app.js';
import { PackageError, readMsi, readMsix, sniffPackage } from '../../protocol/packages/index.js';
import type { ContentStore } from '../../store/types.js';
import { ApiError } from '../errors.js';

export interface ReadPackage {
  kind: Exclude<AppKind, 'office'>;
  /** MSI UpgradeCode (else ProductCode); MSIX package family name. */
  identity: string;
  name: string;
  publisher: string;
  version: string;
  msi?: MsiMetadata;
  msix?: MsixMetadata;
}

/** 422 naming what is wrong with the package. */
const unreadable = (message: string) => new ApiError(422, 'unreadable_package', message, '/package');

export async function readPackage(content: ContentStore, sha256: string, size: number, fileName?: string): Promise<ReadPackage> {
  const readAt = (offset: number, length: number) => content.readAt(sha256, offset, length);
  const container = sniffPackage(await readAt(0, 8));
  try {
    if (container === 'msi') {
      const msi = await readMsi(readAt, size);
      return {
        kind: 'msi',
        identity: msi.upgradeCode ?? msi.productCode,
        name: msi.productName,
        publisher: msi.manufacturer,
        version: msi.productVersion,
        msi,
      };
    }
    if (container === 'zip') {
      const msix = await readMsix(readAt, size, { fileName });
      return {
        kind: 'msix',
        identity: msix.packageFamilyName,
        name: msix.displayName ?? msix.name,
        publisher: msix.publisherDisplayName ?? msix.publisher,
        version: msix.version,
        msix,
      };
    }
  } catch (err) {
    if (err instanceof PackageError) throw unreadable(`the package cannot be read (${err.field}): ${err.message}`);
    throw err;
  }
  throw unreadable('not a package: neither an MSI (compound file) nor an MSIX/APPX (zip)');
}
