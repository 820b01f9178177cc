// Zip access through ReadAt, for MSIX/APPX packages and bundles: yauzl reads the central
// directory and the entries asked for, through a RandomAccessReader over ReadAt, never the whole
// file. Small reads (the central directory's records, one after the other) are served from one
// read-ahead window so a package of thousands of files costs a few reads, not two per file.
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { PackageError, type ReadAt } from './errors.js';

const WINDOW = 256 * 1024;

class ReadAtReader extends yauzl.RandomAccessReader {
  private readonly readAt: ReadAt;
  private window: { start: number; buf: Buffer } | undefined;
  /** The first error of the ReadAt function itself (storage), rethrown as it is rather than as a bad zip. */
  ioError: unknown;

  constructor(readAt: ReadAt) {
    super();
    this.readAt = readAt;
  }

  private async range(start: number, end: number): Promise<Buffer> {
    const w = this.window;
    if (w && start >= w.start && end <= w.start + w.buf.length) return w.buf.subarray(start - w.start, end - w.start);
    try {
      if (end - start <= WINDOW / 4) {
        const buf = await this.readAt(start, WINDOW);
        this.window = { start, buf };
        return buf.subarray(0, end - start);
      }
      return await this.readAt(start, end - start);
    } catch (err) {
      this.ioError ??= err;
      throw err;
    }
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.chunks(start, end), { objectMode: false });
  }

  private async *chunks(start: number, end: number): AsyncGenerator<Buffer> {
    const CHUNK = 1024 * 1024;
    for (let at = start; at < end; at += CHUNK) {
      const want = Math.min(CHUNK, end - at);
      const buf = await this.range(at, at + want);
      if (buf.length === 0) return;
      yield buf;
      if (buf.length < want) return;
    }
  }
}

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  compressionMethod: number;
  entry: yauzl.Entry;
}

/** An open zip: its entries by name (as in the central directory) and bounded reads of them. */
export class Zip {
  readonly entries: Map<string, ZipEntryInfo>;
  private readonly zip: yauzl.ZipFile;
  private readonly reader: ReadAtReader;

  private constructor(zip: yauzl.ZipFile, reader: ReadAtReader, entries: Map<string, ZipEntryInfo>) {
    this.zip = zip;
    this.reader = reader;
    this.entries = entries;
  }

  static async open(readAt: ReadAt, size: number, maxEntries: number): Promise<Zip> {
    const reader = new ReadAtReader(readAt);
    try {
      const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, {
        lazyEntries: true,
        autoClose: false,
        strictFileNames: false,
        validateEntrySizes: true,
      });
      // Errors reach the caller through the entry iterator and the read callbacks; an 'error'
      // event with no listener left (after the iteration) would otherwise end the process.
      zip.on('error', () => undefined);
      if (zip.entryCount > maxEntries) throw new PackageError('zip', `the package lists ${zip.entryCount} files, over the ${maxEntries} accepted`);
      const entries = new Map<string, ZipEntryInfo>();
      for await (const entry of zip.eachEntry()) {
        entries.set(entry.fileName, {
          name: entry.fileName,
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
          compressionMethod: entry.compressionMethod,
          entry,
        });
      }
      return new Zip(zip, reader, entries);
    } catch (err) {
      throw zipError(err, reader);
    }
  }

  /** The entry whose name matches case-insensitively (package paths are case-insensitive on Windows). */
  find(name: string): ZipEntryInfo | undefined {
    const exact = this.entries.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    for (const [n, e] of this.entries) if (n.toLowerCase() === lower) return e;
    return undefined;
  }

  /** The entry's bytes, refused when it says (or turns out) to be over `maxBytes`. */
  async read(info: ZipEntryInfo, maxBytes: number): Promise<Buffer> {
    if (info.uncompressedSize > maxBytes) throw new PackageError(info.name, `${info.name} is ${info.uncompressedSize} bytes, over the ${maxBytes}-byte limit`);
    if (info.compressionMethod !== 0 && info.compressionMethod !== 8)
      throw new PackageError(info.name, `${info.name} uses compression method ${info.compressionMethod} (stored or deflate expected)`);
    try {
      const stream = await this.zip.openReadStreamPromise(info.entry);
      const parts: Buffer[] = [];
      let total = 0;
      // yauzl checks the inflated size against the declared one; this bound holds even if not.
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) {
          (stream as Readable).destroy();
          throw new PackageError(info.name, `${info.name} inflates to more than ${maxBytes} bytes`);
        }
        parts.push(chunk);
      }
      return Buffer.concat(parts, total);
    } catch (err) {
      throw zipError(err, this.reader, info.name);
    }
  }

  /** Where the entry's (stored) bytes start in the file, from its local header. */
  async dataStart(info: ZipEntryInfo): Promise<number> {
    try {
      const { fileDataStart } = await this.zip.readLocalFileHeaderPromise(info.entry, { minimal: true });
      if (fileDataStart + info.compressedSize > this.zip.fileSize) throw new PackageError(info.name, `${info.name} runs past the end of the file`);
      return fileDataStart;
    } catch (err) {
      throw zipError(err, this.reader, info.name);
    }
  }

  close(): void {
    this.zip.close();
  }
}

function zipError(err: unknown, reader: ReadAtReader, entry?: string): unknown {
  if (err instanceof PackageError) return err;
  if (reader.ioError) return reader.ioError;
  const msg = (err as Error).message ?? String(err);
  return entry ? new PackageError(entry, `${entry} cannot be read: ${msg}`) : new PackageError('zip', `not a readable zip: ${msg}`);
}
