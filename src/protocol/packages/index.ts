// Package readers: what an uploaded MSI or MSIX/APPX package says about itself, read through a
// random-access function (ContentStore.readAt), never the whole file.
export { PackageError, type ReadAt } from './errors.js';
export { readMsi } from './msi.js';
export { readMsix } from './msix.js';
export { packageFamilyName, packageFullName, publisherId } from './package-id.js';
export { sniffPackage } from './sniff.js';
