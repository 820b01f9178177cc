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

/**
 * ReadAt through a small cache of aligned blocks (at most blockSize × maxBlocks bytes held): a
 * compound file's header, FAT, directory and mini stream are many small reads close together
 * (141 reads in five 64 KiB blocks for a 1 GiB MSI), each of which may be a database round
 * trip. Reads over four blocks go straight through.
 */
export function cachedReadAt(readAt: ReadAt, blockSize = 64 * 1024, maxBlocks = 64): ReadAt {
  const cache = new Map<number, Promise<Buffer>>();
  const block = (i: number): Promise<Buffer> => {
    let p = cache.get(i);
    if (p) {
      cache.delete(i);
    } else {
      p = readAt(i * blockSize, blockSize);
      p.catch(() => cache.delete(i));
    }
    cache.set(i, p);
    if (cache.size > maxBlocks) cache.delete(cache.keys().next().value as number);
    return p;
  };
  return async (offset, length) => {
    if (length <= 0) return Buffer.alloc(0);
    if (length > blockSize * 4) return readAt(offset, length);
    const first = Math.floor(offset / blockSize);
    const last = Math.floor((offset + length - 1) / blockSize);
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) {
      const b = await block(i);
      parts.push(b);
      if (b.length < blockSize) break; // the end of the file
    }
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const start = offset - first * blockSize;
    return all.subarray(Math.min(start, all.length), Math.min(start + length, all.length));
  };
}
