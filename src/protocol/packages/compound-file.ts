// A random-access reader of OLE compound files ([MS-CFB]), the container of an MSI. It reads
// through ReadAt only what it is asked for: the header, the directory, the mini FAT and the FAT
// and DIFAT sectors on the chains it follows, and the streams asked for — never the whole file,
// because packages of several GiB exist (an MSI with its cabinet embedded).
//
// Hostile files are the norm here: every sector number is checked against the file's size, every
// chain is followed at most as far as its stream's size needs and a sector seen twice is a loop,
// stream sizes beyond the file are refused, so a broken file ends in a PackageError, never a hang
// or an allocation the size of a lie.
import { PackageError, readExactly, type ReadAt } from './errors.js';

const SIGNATURE = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const HEADER_SIZE = 512;
const HEADER_DIFAT = 109;
const MAXREGSECT = 0xfffffffa;
const ENDOFCHAIN = 0xfffffffe;
const NOSTREAM = 0xffffffff;
const DIR_ENTRY_SIZE = 128;
/** A directory larger than this (131072 entries) is not a package's. */
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;
const MAX_MINIFAT_BYTES = 16 * 1024 * 1024;

export interface CompoundEntry {
  name: string;
  type: 'storage' | 'stream' | 'root';
  /** Directory entry number (its stream id). */
  id: number;
  start: number;
  size: number;
  left: number;
  right: number;
  child: number;
}

const FIELD = 'compound file';

function fail(message: string): never {
  throw new PackageError(FIELD, `not a readable compound file: ${message}`);
}

export class CompoundFile {
  readonly version: 3 | 4;
  readonly sectorSize: number;
  readonly entries: CompoundEntry[];
  private readonly readAt: ReadAt;
  private readonly fileSize: number;
  private readonly sectorCount: number;
  private readonly header: Buffer;
  private readonly fatSectorCount: number;
  private readonly miniCutoff: number;
  private readonly fatCache = new Map<number, Buffer>();
  private readonly difatSectors: Buffer[] = [];
  private readonly difatSeen = new Set<number>();
  private miniFat: Buffer | undefined;
  private miniStreamSectors: number[] | undefined;
  private readonly miniCache = new Map<number, Buffer>();

  private constructor(readAt: ReadAt, fileSize: number, header: Buffer) {
    this.readAt = readAt;
    this.fileSize = fileSize;
    this.header = header;
    const major = header.readUInt16LE(26);
    if (major !== 3 && major !== 4) fail(`unsupported major version ${major} (3 or 4 expected)`);
    this.version = major;
    if (header.readUInt16LE(28) !== 0xfffe) fail('wrong byte order mark');
    const shift = header.readUInt16LE(30);
    if ((major === 3 && shift !== 9) || (major === 4 && shift !== 12)) fail(`sector shift ${shift} does not match version ${major}`);
    if (header.readUInt16LE(32) !== 6) fail(`mini sector shift ${header.readUInt16LE(32)} (6 expected)`);
    this.sectorSize = 1 << shift;
    this.sectorCount = Math.max(0, Math.ceil((fileSize - this.sectorSize) / this.sectorSize));
    this.fatSectorCount = header.readUInt32LE(44);
    this.miniCutoff = header.readUInt32LE(56);
    if (this.miniCutoff !== 4096) fail(`mini stream cutoff ${this.miniCutoff} (4096 expected)`);
    // Each FAT sector maps sectorSize/4 sectors: more FAT sectors than the file can need is a lie.
    if (this.fatSectorCount > Math.ceil(this.sectorCount / (this.sectorSize / 4)) + 1)
      fail(`${this.fatSectorCount} FAT sectors for a file of ${fileSize} bytes`);
    this.entries = [];
  }

  /** Opens the file: the header and the whole directory (small), nothing else yet. */
  static async open(readAt: ReadAt, size: number): Promise<CompoundFile> {
    if (size < HEADER_SIZE) throw new PackageError(FIELD, `not a compound file: ${size} bytes is shorter than its 512-byte header`);
    const header = await readExactly(readAt, 0, HEADER_SIZE, FIELD);
    if (!header.subarray(0, 8).equals(SIGNATURE)) throw new PackageError(FIELD, 'not a compound file: wrong signature (D0CF11E0A1B11AE1 expected)');
    const cf = new CompoundFile(readAt, size, header);
    await cf.loadDirectory();
    return cf;
  }

  /** The streams and storages directly under the root storage, by name. */
  rootChildren(): Map<string, CompoundEntry> {
    const root = this.entries[0];
    const out = new Map<string, CompoundEntry>();
    const seen = new Set<number>();
    const stack = [root.child];
    while (stack.length > 0) {
      const id = stack.pop() as number;
      if (id === NOSTREAM) continue;
      if (id >= this.entries.length) fail(`directory entry ${id} out of range`);
      if (seen.has(id)) fail(`directory tree loop at entry ${id}`);
      seen.add(id);
      const e = this.entries[id];
      if (e.type === 'root') fail(`root entry referenced as a child`);
      out.set(e.name, e);
      stack.push(e.left, e.right);
    }
    return out;
  }

  /** The stream's bytes; a stream over `maxBytes` is refused (named by `field`). */
  async readStream(entry: CompoundEntry, maxBytes: number, field: string): Promise<Buffer> {
    if (entry.type !== 'stream') throw new PackageError(field, `${field} is not a stream`);
    if (entry.size > maxBytes) throw new PackageError(field, `${field} is ${entry.size} bytes, over the ${maxBytes}-byte limit`);
    if (entry.size === 0) return Buffer.alloc(0);
    if (entry.size < this.miniCutoff) return this.readMini(entry.start, entry.size, field);
    const sectors = await this.chain(entry.start, Math.ceil(entry.size / this.sectorSize), field);
    return this.readSectors(sectors, entry.size, field);
  }

  private async loadDirectory(): Promise<void> {
    const first = this.header.readUInt32LE(48);
    // Version 3 leaves the directory sector count at 0: follow the chain to its end.
    const declared = this.version === 4 ? this.header.readUInt32LE(40) : 0;
    const limit = Math.floor(MAX_DIRECTORY_BYTES / this.sectorSize);
    if (declared > limit) fail(`${declared} directory sectors`);
    const sectors: number[] = [];
    const seen = new Set<number>();
    let sec = first;
    while (sec !== ENDOFCHAIN) {
      this.checkSector(sec, 'directory');
      if (seen.has(sec)) fail(`sector loop in the directory chain at sector ${sec}`);
      if (sectors.length >= limit) fail(`directory over ${MAX_DIRECTORY_BYTES} bytes`);
      seen.add(sec);
      sectors.push(sec);
      sec = await this.next(sec);
    }
    if (sectors.length === 0) fail('empty directory');
    const dir = await this.readSectors(sectors, sectors.length * this.sectorSize, 'directory');
    for (let off = 0; off + DIR_ENTRY_SIZE <= dir.length; off += DIR_ENTRY_SIZE) {
      const id = off / DIR_ENTRY_SIZE;
      const typeByte = dir[off + 66];
      if (typeByte === 0) {
        this.entries.push({ name: '', type: 'storage', id, start: 0, size: 0, left: NOSTREAM, right: NOSTREAM, child: NOSTREAM });
        continue;
      }
      const type = typeByte === 1 ? 'storage' : typeByte === 2 ? 'stream' : typeByte === 5 ? 'root' : fail(`directory entry ${id} has type ${typeByte}`);
      const nameLen = dir.readUInt16LE(off + 64);
      if (nameLen > 64 || nameLen % 2 !== 0) fail(`directory entry ${id} has a name length of ${nameLen}`);
      const name = dir.toString('utf16le', off, off + Math.max(0, nameLen - 2));
      const low = dir.readUInt32LE(off + 120);
      // Version 3 files may leave garbage in the high half of the size (MS-CFB 2.6.3).
      const high = this.version === 4 ? dir.readUInt32LE(off + 124) : 0;
      const size = high * 0x100000000 + low;
      if (size > this.fileSize && type !== 'storage') fail(`stream '${printable(name)}' claims ${size} bytes in a file of ${this.fileSize}`);
      this.entries.push({
        name,
        type,
        id,
        start: dir.readUInt32LE(off + 116),
        size: type === 'storage' ? 0 : size,
        left: dir.readUInt32LE(off + 68),
        right: dir.readUInt32LE(off + 72),
        child: dir.readUInt32LE(off + 76),
      });
    }
    if (this.entries[0]?.type !== 'root') fail('the first directory entry is not the root');
  }

  private checkSector(sec: number, what: string): void {
    if (sec > MAXREGSECT) fail(`${what} chain ends early (sector 0x${sec.toString(16)})`);
    if (sec >= this.sectorCount) fail(`${what} refers to sector ${sec}, beyond the end of the file (${this.sectorCount} sectors)`);
  }

  /** The FAT entry of `sec`: the sector after it in its chain. */
  private async next(sec: number): Promise<number> {
    const perSector = this.sectorSize / 4;
    const fatIndex = Math.floor(sec / perSector);
    let fat = this.fatCache.get(fatIndex);
    if (!fat) {
      if (fatIndex >= this.fatSectorCount) fail(`sector ${sec} is beyond the FAT (${this.fatSectorCount} FAT sectors)`);
      const loc = await this.fatSectorLocation(fatIndex);
      this.checkSector(loc, 'the FAT');
      fat = await readExactly(this.readAt, (loc + 1) * this.sectorSize, this.sectorSize, FIELD);
      this.fatCache.set(fatIndex, fat);
    }
    return fat.readUInt32LE((sec % perSector) * 4);
  }

  /** Where FAT sector `k` is: in the header's 109 DIFAT entries, then in the DIFAT sector chain. */
  private async fatSectorLocation(k: number): Promise<number> {
    if (k < HEADER_DIFAT) return this.header.readUInt32LE(76 + k * 4);
    const perSector = this.sectorSize / 4 - 1;
    const index = Math.floor((k - HEADER_DIFAT) / perSector);
    const declared = this.header.readUInt32LE(72);
    if (index >= declared) fail(`FAT sector ${k} is beyond the DIFAT (${declared} DIFAT sectors)`);
    while (this.difatSectors.length <= index) {
      const prev = this.difatSectors[this.difatSectors.length - 1];
      const loc = prev ? prev.readUInt32LE(perSector * 4) : this.header.readUInt32LE(68);
      this.checkSector(loc, 'the DIFAT');
      if (this.difatSeen.has(loc)) fail(`sector loop in the DIFAT chain at sector ${loc}`);
      this.difatSeen.add(loc);
      this.difatSectors.push(await readExactly(this.readAt, (loc + 1) * this.sectorSize, this.sectorSize, FIELD));
    }
    return this.difatSectors[index].readUInt32LE(((k - HEADER_DIFAT) % perSector) * 4);
  }

  /** The first `count` sectors of the chain starting at `start`. */
  private async chain(start: number, count: number, field: string): Promise<number[]> {
    if (count > this.sectorCount) fail(`${field} needs ${count} sectors, the file has ${this.sectorCount}`);
    const out: number[] = [];
    const seen = new Set<number>();
    let sec = start;
    while (out.length < count) {
      this.checkSector(sec, field);
      if (seen.has(sec)) fail(`sector loop in ${field} at sector ${sec}`);
      seen.add(sec);
      out.push(sec);
      if (out.length < count) sec = await this.next(sec);
    }
    return out;
  }

  /** The bytes of these sectors in order (consecutive runs read at once), cut to `size`. */
  private async readSectors(sectors: number[], size: number, field: string): Promise<Buffer> {
    const out = Buffer.allocUnsafe(size);
    let done = 0;
    for (let i = 0; i < sectors.length && done < size;) {
      let j = i + 1;
      while (j < sectors.length && sectors[j] === sectors[j - 1] + 1) j++;
      const want = Math.min((j - i) * this.sectorSize, size - done);
      const buf = await readExactly(this.readAt, (sectors[i] + 1) * this.sectorSize, want, field);
      buf.copy(out, done);
      done += want;
      i = j;
    }
    return out;
  }

  private async readMini(start: number, size: number, field: string): Promise<Buffer> {
    const root = this.entries[0];
    if (!this.miniFat) {
      const first = this.header.readUInt32LE(60);
      const count = this.header.readUInt32LE(64);
      if (count * this.sectorSize > MAX_MINIFAT_BYTES) fail(`${count} mini FAT sectors`);
      this.miniFat = count === 0 ? Buffer.alloc(0) : await this.readSectors(await this.chain(first, count, 'the mini FAT'), count * this.sectorSize, FIELD);
      this.miniStreamSectors = await this.chain(root.start, Math.ceil(root.size / this.sectorSize), 'the mini stream');
    }
    const miniFat = this.miniFat;
    const streamSectors = this.miniStreamSectors as number[];
    const count = Math.ceil(size / 64);
    const out = Buffer.allocUnsafe(size);
    const seen = new Set<number>();
    let mini = start;
    for (let i = 0; i < count; i++) {
      if (mini > MAXREGSECT) fail(`${field} mini chain ends early`);
      if ((mini + 1) * 64 > root.size) fail(`${field} refers to mini sector ${mini}, beyond the mini stream (${root.size} bytes)`);
      if (seen.has(mini)) fail(`mini sector loop in ${field} at mini sector ${mini}`);
      seen.add(mini);
      const offsetInStream = mini * 64;
      const index = Math.floor(offsetInStream / this.sectorSize);
      let sector = this.miniCache.get(index);
      if (!sector) {
        // The last sector of the mini stream may be cut short by the end of the stream.
        const want = Math.min(this.sectorSize, root.size - index * this.sectorSize);
        sector = await readExactly(this.readAt, (streamSectors[index] + 1) * this.sectorSize, want, field);
        this.miniCache.set(index, sector);
      }
      const at = offsetInStream % this.sectorSize;
      sector.copy(out, i * 64, at, at + Math.min(64, size - i * 64));
      if (i + 1 < count) {
        if ((mini + 1) * 4 > miniFat.length) fail(`mini sector ${mini} is beyond the mini FAT`);
        mini = miniFat.readUInt32LE(mini * 4);
      }
    }
    return out;
  }
}

function printable(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?');
}
