// A minimal compound-file writer for the tests ([MS-CFB]): versions 3 (512-byte sectors) and 4
// (4096-byte sectors), streams under 4096 bytes in the mini stream, the FAT listed by the header
// and, past 109 FAT sectors, by a DIFAT chain. wixl writes version 3 only and never a DIFAT
// chain; this writes what it does not, and tells where it put things so tests can break them.
const ENDOFCHAIN = 0xfffffffe;
const FATSECT = 0xfffffffd;
const DIFSECT = 0xfffffffc;
const FREESECT = 0xffffffff;
const NOSTREAM = 0xffffffff;

export interface CfbStream {
  /** The raw directory name (already MSI-encoded where it must be). */
  name: string;
  data: Buffer;
}

export interface CfbLayout {
  sectorSize: number;
  /** Sector numbers of each chain. */
  streams: Map<string, { id: number; sectors: number[]; mini: boolean; start: number }>;
  directory: number[];
  miniFat: number[];
  miniStream: number[];
  fat: number[];
  difat: number[];
  /** Byte offset of sector n. */
  offset(n: number): number;
  /** Byte offset of directory entry `id`. */
  entryOffset(id: number): number;
}

export function writeCompoundFile(streams: CfbStream[], version: 3 | 4 = 3): { file: Buffer; layout: CfbLayout } {
  const ss = version === 3 ? 512 : 4096;
  const per = ss / 4;
  const chains: number[][] = [];
  let next = 0;
  const alloc = (bytes: number) => {
    const n = Math.ceil(bytes / ss);
    const c = Array.from({ length: n }, (_, i) => next + i);
    next += n;
    chains.push(c);
    return c;
  };
  const layoutStreams: CfbLayout['streams'] = new Map();
  // Big streams first: a large one pushes everything after it past the first 109 FAT sectors.
  const big = streams.filter((s) => s.data.length >= 4096);
  const small = streams.filter((s) => s.data.length < 4096);
  const bigChains = big.map((s) => alloc(s.data.length));
  const miniParts: Buffer[] = [];
  const miniFatEntries: number[] = [];
  const smallStarts: number[] = [];
  for (const s of small) {
    const n = Math.ceil(s.data.length / 64);
    const first = miniFatEntries.length;
    smallStarts.push(n === 0 ? ENDOFCHAIN : first);
    for (let i = 0; i < n; i++) miniFatEntries.push(i + 1 < n ? first + i + 1 : ENDOFCHAIN);
    const padded = Buffer.alloc(n * 64);
    s.data.copy(padded);
    miniParts.push(padded);
  }
  const miniStream = Buffer.concat(miniParts);
  const miniStreamChain = miniStream.length > 0 ? alloc(miniStream.length) : [];
  const miniFatChain = miniFatEntries.length > 0 ? alloc(miniFatEntries.length * 4) : [];
  const entryCount = streams.length + 1;
  const dirChain = alloc(entryCount * 128);
  // FAT and DIFAT sectors come last; their number depends on itself.
  let fatCount = 0;
  let difatCount = 0;
  for (;;) {
    const total = next + fatCount + difatCount;
    const f = Math.ceil(total / per);
    const d = f > 109 ? Math.ceil((f - 109) / (per - 1)) : 0;
    if (f === fatCount && d === difatCount) break;
    fatCount = f;
    difatCount = d;
  }
  const fatSectors = Array.from({ length: fatCount }, (_, i) => next + i);
  const difatSectors = Array.from({ length: difatCount }, (_, i) => next + fatCount + i);
  const totalSectors = next + fatCount + difatCount;

  const fat = new Uint32Array(fatCount * per).fill(FREESECT);
  for (const c of chains) c.forEach((s, i) => (fat[s] = i + 1 < c.length ? c[i + 1] : ENDOFCHAIN));
  for (const s of fatSectors) fat[s] = FATSECT;
  for (const s of difatSectors) fat[s] = DIFSECT;

  const file = Buffer.alloc(ss + totalSectors * ss);
  const off = (n: number) => (n + 1) * ss;
  const put = (chain: number[], data: Buffer) => chain.forEach((s, i) => data.copy(file, off(s), i * ss, Math.min(data.length, (i + 1) * ss)));
  big.forEach((s, i) => put(bigChains[i], s.data));
  put(miniStreamChain, miniStream);
  const mf = Buffer.alloc(miniFatChain.length * ss, 0xff);
  miniFatEntries.forEach((v, i) => mf.writeUInt32LE(v, i * 4));
  put(miniFatChain, mf);
  const fatBuf = Buffer.from(fat.buffer);
  put(fatSectors, fatBuf);

  // Directory: the root, then the streams as a chain of right siblings (a valid, if unbalanced, tree).
  const dir = Buffer.alloc(dirChain.length * ss);
  const entry = (id: number, name: string, type: number, start: number, size: number, right: number, child: number) => {
    const o = id * 128;
    const n = Buffer.from(name + '\0', 'utf16le');
    n.copy(dir, o, 0, 64);
    dir.writeUInt16LE(n.length, o + 64);
    dir[o + 66] = type;
    dir[o + 67] = 1;
    dir.writeUInt32LE(NOSTREAM, o + 68);
    dir.writeUInt32LE(right, o + 72);
    dir.writeUInt32LE(child, o + 76);
    dir.writeUInt32LE(start, o + 116);
    dir.writeUInt32LE(size % 0x100000000, o + 120);
    dir.writeUInt32LE(version === 4 ? Math.floor(size / 0x100000000) : 0, o + 124);
  };
  entry(0, 'Root Entry', 5, miniStreamChain[0] ?? ENDOFCHAIN, miniStream.length, NOSTREAM, streams.length > 0 ? 1 : NOSTREAM);
  for (let i = 1; i < entryCount; i++) dir.writeUInt32LE(NOSTREAM, i * 128 + 68);
  const ordered = [...big, ...small];
  ordered.forEach((s, i) => {
    const id = i + 1;
    const isMini = s.data.length < 4096;
    const sectors = isMini ? [] : bigChains[i];
    const start = isMini ? smallStarts[i - big.length] : sectors[0];
    entry(id, s.name, 2, start, s.data.length, id + 1 < entryCount ? id + 1 : NOSTREAM, NOSTREAM);
    layoutStreams.set(s.name, { id, sectors, mini: isMini, start });
  });
  put(dirChain, dir);

  // Header and DIFAT.
  const h = file;
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(h, 0);
  h.writeUInt16LE(0x3e, 24);
  h.writeUInt16LE(version, 26);
  h.writeUInt16LE(0xfffe, 28);
  h.writeUInt16LE(version === 3 ? 9 : 12, 30);
  h.writeUInt16LE(6, 32);
  h.writeUInt32LE(version === 4 ? dirChain.length : 0, 40);
  h.writeUInt32LE(fatCount, 44);
  h.writeUInt32LE(dirChain[0], 48);
  h.writeUInt32LE(4096, 56);
  h.writeUInt32LE(miniFatChain[0] ?? ENDOFCHAIN, 60);
  h.writeUInt32LE(miniFatChain.length, 64);
  h.writeUInt32LE(difatSectors[0] ?? ENDOFCHAIN, 68);
  h.writeUInt32LE(difatCount, 72);
  for (let i = 0; i < 109; i++) h.writeUInt32LE(i < fatCount ? fatSectors[i] : FREESECT, 76 + i * 4);
  difatSectors.forEach((s, d) => {
    const o = off(s);
    for (let j = 0; j < per - 1; j++) {
      const k = 109 + d * (per - 1) + j;
      file.writeUInt32LE(k < fatCount ? fatSectors[k] : FREESECT, o + j * 4);
    }
    file.writeUInt32LE(d + 1 < difatSectors.length ? difatSectors[d + 1] : ENDOFCHAIN, o + (per - 1) * 4);
  });

  return {
    file,
    layout: {
      sectorSize: ss,
      streams: layoutStreams,
      directory: dirChain,
      miniFat: miniFatChain,
      miniStream: miniStreamChain,
      fat: fatSectors,
      difat: difatSectors,
      offset: off,
      entryOffset: (id) => off(dirChain[Math.floor((id * 128) / ss)]) + ((id * 128) % ss),
    },
  };
}
