// What the package readers share: the random-access function they read through (no I/O of their
// own) and the error that says, for an administrator, what is wrong with an uploaded package.

/** `length` bytes at `offset` (fewer at the end of the file), as ContentStore.readAt gives them. */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/** A package that cannot be read: `field` names the part at fault (e.g. 'Property', 'AppxManifest.xml'). */
export class PackageError extends Error {
  public readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'PackageError';
    this.field = field;
  }
}

/** Exactly `length` bytes at `offset`, or a PackageError saying the file is cut short. */
export async function readExactly(readAt: ReadAt, offset: number, length: number, field: string): Promise<Buffer> {
  const buf = await readAt(offset, length);
  if (buf.length < length) throw new PackageError(field, `the file is truncated: ${length} bytes wanted at offset ${offset}, ${buf.length} there`);
  return buf.length === length ? buf : buf.subarray(0, length);
}
