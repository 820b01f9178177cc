// What kind of container a package is, from its first bytes.
const CFB = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const ZIP = Buffer.from('504b0304', 'hex');

/** 'msi' for an OLE compound file (D0CF11E0A1B11AE1), 'zip' for a zip (PK\x03\x04: MSIX, APPX, bundles), else undefined. */
export function sniffPackage(head: Buffer): 'msi' | 'zip' | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(CFB)) return 'msi';
  if (head.length >= 4 && head.subarray(0, 4).equals(ZIP)) return 'zip';
  return undefined;
}
