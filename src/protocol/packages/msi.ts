// Reads what fenestra needs of an MSI from the package itself: its Property table (ProductCode,
// ProductVersion, ProductName, Manufacturer, UpgradeCode, ProductLanguage, ALLUSERS). An MSI is
// a database in a compound file: each table is a stream whose name is MSI-encoded, its rows
// stored column by column, strings as references into the string pool (_StringPool lengths,
// _StringData bytes in the database's code page).
import type { MsiMetadata } from '../../domain/app.js';
import { CompoundFile, type CompoundEntry } from './compound-file.js';
import { cachedReadAt, PackageError, type ReadAt } from './errors.js';

/** Table streams larger than this are not read (the string pool of a very large MSI is a few MiB). */
const MAX_TABLE_BYTES = 64 * 1024 * 1024;

const TABLE_PREFIX = 0x4840;
const NAME_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._';

// Column type bits (the _Columns table's Type column).
const TYPE_WIDTH = 0x00ff;
const TYPE_STRING = 0x0800;

/**
 * Decodes an MSI stream name: a leading U+4840 marks a table; U+3800–U+47FF pack two characters
 * of [0-9A-Za-z._] (6 bits each, first in the low bits), U+4800–U+483F one. Tables come back
 * with a '!' prefix ('!Property'), other streams as they are named ('Binary.Icon').
 */
export function decodeStreamName(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === TABLE_PREFIX && i === 0) out += '!';
    else if (c >= 0x3800 && c < 0x4800) out += NAME_CHARS[(c - 0x3800) & 0x3f] + NAME_CHARS[((c - 0x3800) >> 6) & 0x3f];
    else if (c >= 0x4800 && c < 0x4840) out += NAME_CHARS[c - 0x4800];
    else out += raw[i];
  }
  return out;
}

interface StringPool {
  strings: (string | undefined)[];
  /** Bytes per string reference in table rows: 2, or 3 when the pool says long references. */
  refSize: number;
  codepage: number;
}

export async function readMsi(readAt: ReadAt, size: number): Promise<MsiMetadata> {
  const cf = await CompoundFile.open(cachedReadAt(readAt), size);
  const streams = new Map<string, CompoundEntry>();
  for (const [name, entry] of cf.rootChildren()) if (entry.type === 'stream') streams.set(decodeStreamName(name), entry);
  const property = streams.get('!Property');
  if (!property) throw new PackageError('Property', 'not an MSI: no Property table');
  const poolEntry = streams.get('!_StringPool');
  const dataEntry = streams.get('!_StringData');
  if (!poolEntry || !dataEntry) throw new PackageError('_StringPool', 'not an MSI: no string pool (_StringPool and _StringData)');
  const pool = decodeStringPool(await cf.readStream(poolEntry, MAX_TABLE_BYTES, '_StringPool'), await cf.readStream(dataEntry, MAX_TABLE_BYTES, '_StringData'));
  const columnsEntry = streams.get('!_Columns');
  const widths = columnsEntry ? tableColumns(await cf.readStream(columnsEntry, MAX_TABLE_BYTES, '_Columns'), pool, 'Property') : undefined;
  const props = propertyTable(await cf.readStream(property, MAX_TABLE_BYTES, 'Property'), pool, widths);

  const productCode = guid(props, 'ProductCode', true) as string;
  const productVersion = required(props, 'ProductVersion');
  if (!/^\d+(\.\d+){0,3}$/.test(productVersion))
    throw new PackageError('ProductVersion', `ProductVersion '${productVersion}' is not a version (major.minor.build)`);
  const out: MsiMetadata = {
    productCode,
    productVersion,
    productName: required(props, 'ProductName'),
    manufacturer: required(props, 'Manufacturer'),
  };
  const upgradeCode = guid(props, 'UpgradeCode', false);
  if (upgradeCode) out.upgradeCode = upgradeCode;
  const language = props.get('ProductLanguage');
  if (language) out.productLanguage = language;
  const allUsers = props.get('ALLUSERS');
  if (allUsers !== undefined) out.allUsers = allUsers;
  return out;
}

function required(props: Map<string, string>, name: string): string {
  const v = props.get(name);
  if (!v) throw new PackageError(name, `the MSI's Property table has no ${name}`);
  return v;
}

function guid(props: Map<string, string>, name: string, mandatory: boolean): string | undefined {
  const v = mandatory ? required(props, name) : props.get(name);
  if (v === undefined || v === '') return undefined;
  if (!/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i.test(v)) throw new PackageError(name, `${name} '${v}' is not a GUID in braces`);
  return v.toUpperCase();
}

/**
 * The string pool: _StringPool holds a header (code page; bit 31 = 3-byte string references)
 * then one (length, reference count) pair of 16-bit words per string id from 1; a string of 64 KiB
 * or more takes two pairs, (0, refs) then (length low, length high). _StringData holds the
 * strings' bytes back to back.
 */
export function decodeStringPool(pool: Buffer, data: Buffer): StringPool {
  if (pool.length < 4 || pool.length % 4 !== 0) throw new PackageError('_StringPool', `_StringPool of ${pool.length} bytes is not a string pool`);
  const header = pool.readUInt32LE(0);
  const refSize = header & 0x80000000 ? 3 : 2;
  const codepage = header & 0x7fffffff;
  const decoder = codepageDecoder(codepage);
  const count = pool.length / 4;
  const strings: (string | undefined)[] = [undefined];
  let offset = 0;
  for (let i = 1; i < count;) {
    let len = pool.readUInt16LE(i * 4);
    const refs = pool.readUInt16LE(i * 4 + 2);
    if (len === 0 && refs === 0) {
      strings.push(undefined);
      i++;
      continue;
    }
    if (len === 0) {
      if (i + 1 >= count) throw new PackageError('_StringPool', '_StringPool ends inside a long string entry');
      len = pool.readUInt16LE(i * 4 + 4) + pool.readUInt16LE(i * 4 + 6) * 0x10000;
      i += 2;
    } else {
      i += 1;
    }
    if (offset + len > data.length) throw new PackageError('_StringData', `_StringData is ${data.length} bytes, the string pool needs more`);
    strings.push(decoder(data.subarray(offset, offset + len)));
    offset += len;
  }
  return { strings, refSize, codepage };
}

function codepageDecoder(codepage: number): (b: Buffer) => string {
  // 0 is "neutral": the strings are ASCII in practice; Windows reads them in the system code page.
  const label = codepage === 0 ? 'windows-1252' : codepage === 65001 ? 'utf-8' : (WINDOWS_LABELS[codepage] ?? `windows-${codepage}`);
  let dec: TextDecoder;
  try {
    dec = new TextDecoder(label, { fatal: false });
  } catch {
    throw new PackageError('_StringPool', `the MSI's code page ${codepage} is not supported`);
  }
  return (b) => dec.decode(b);
}

const WINDOWS_LABELS: Record<number, string> = { 932: 'shift_jis', 936: 'gbk', 949: 'euc-kr', 950: 'big5', 20127: 'us-ascii', 28591: 'iso-8859-1' };

function stringAt(pool: StringPool, id: number, table: string): string | undefined {
  if (id === 0) return undefined;
  if (id >= pool.strings.length) throw new PackageError(table, `${table} refers to string ${id}, the pool has ${pool.strings.length - 1}`);
  return pool.strings[id];
}

function readRef(buf: Buffer, at: number, size: number): number {
  return size === 3 ? buf.readUInt16LE(at) | (buf[at + 2] << 16) : buf.readUInt16LE(at);
}

/**
 * The byte widths of a table's columns in order, from _Columns (Table s, Number i2, Name s,
 * Type i2; 16-bit integers stored with 0x8000 added). Undefined when _Columns does not list it.
 */
function tableColumns(columns: Buffer, pool: StringPool, table: string): { width: number; string: boolean }[] | undefined {
  const sr = pool.refSize;
  const rowSize = 2 * sr + 4;
  if (columns.length % rowSize !== 0) throw new PackageError('_Columns', `_Columns is ${columns.length} bytes, not a whole number of ${rowSize}-byte rows`);
  const n = columns.length / rowSize;
  const found: { number: number; width: number; string: boolean }[] = [];
  for (let r = 0; r < n; r++) {
    if (stringAt(pool, readRef(columns, r * sr, sr), '_Columns') !== table) continue;
    const number = columns.readUInt16LE(n * sr + r * 2) - 0x8000;
    const type = columns.readUInt16LE(n * (sr + 2) + n * sr + r * 2) - 0x8000;
    const isString = (type & TYPE_STRING) !== 0;
    const w = type & TYPE_WIDTH;
    const width = isString ? sr : w <= 2 ? 2 : w === 4 ? 4 : 0;
    if (width === 0) throw new PackageError('_Columns', `${table} column ${number} has type 0x${type.toString(16)}`);
    found.push({ number, width, string: isString });
  }
  if (found.length === 0) return undefined;
  found.sort((a, b) => a.number - b.number);
  return found;
}

/** The Property table as a map; its first two columns are Property and Value (strings). */
function propertyTable(buf: Buffer, pool: StringPool, columns: { width: number; string: boolean }[] | undefined): Map<string, string> {
  const cols = columns ?? [
    { width: pool.refSize, string: true },
    { width: pool.refSize, string: true },
  ];
  if (cols.length < 2 || !cols[0].string || !cols[1].string)
    throw new PackageError('Property', 'the Property table does not have the Property and Value string columns');
  const rowSize = cols.reduce((s, c) => s + c.width, 0);
  if (buf.length % rowSize !== 0) throw new PackageError('Property', `the Property table is ${buf.length} bytes, not a whole number of ${rowSize}-byte rows`);
  const n = buf.length / rowSize;
  const out = new Map<string, string>();
  // Column-major: all the Property cells, then all the Value cells.
  const valueBase = n * cols[0].width;
  for (let r = 0; r < n; r++) {
    const key = stringAt(pool, readRef(buf, r * cols[0].width, cols[0].width), 'Property');
    const value = stringAt(pool, readRef(buf, valueBase + r * cols[1].width, cols[1].width), 'Property');
    if (key !== undefined) out.set(key, value ?? '');
  }
  return out;
}
