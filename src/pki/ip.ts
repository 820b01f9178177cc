/** IP literal parsing for subjectAltName iPAddress entries. */
import { isIP } from 'node:net';
import { PkiError } from './errors.js';

export function isIpLiteral(s: string): boolean {
  return isIP(s) !== 0 && !s.includes('%');
}

/** 4 bytes for IPv4, 16 bytes for IPv6; PkiError('invalid-input') otherwise. */
export function ipToBytes(s: string): Buffer {
  const kind = isIP(s);
  if (kind === 4) return Buffer.from(s.split('.').map((p) => Number(p)));
  if (kind !== 6 || s.includes('%')) throw new PkiError('invalid-input', `not an IP address: ${s}`);
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = ipToBytes(last); // embedded IPv4 (e.g. ::ffff:10.0.0.1) becomes two groups
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    const head = parse(text.slice(0, dbl));
    const rest = parse(text.slice(dbl + 2));
    const fill = 8 - head.length - rest.length;
    if (fill < 0) throw new PkiError('invalid-input', `not an IP address: ${s}`);
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = parse(text);
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new PkiError('invalid-input', `not an IP address: ${s}`);
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
