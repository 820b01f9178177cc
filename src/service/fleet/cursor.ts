// The device list's cursor: opaque to clients, it holds the sort it was given for and the last
// row's (sort value, id), so the next page starts right after that row whatever was inserted since.
import type { DeviceQuery } from '../../domain/fleet.js';
import { invalid } from '../errors.js';

export function encodeCursor(sort: string, key: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');
}

export function decodeCursor(cursor: string, sort: string): NonNullable<DeviceQuery['after']> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) {
    throw invalid('/cursor', 'cursor is not one this list gave: pass nextCursor as it came');
  }
  if (v[0] !== sort) throw invalid('/cursor', `cursor was given for sort=${v[0]}, not sort=${sort}`);
  return { key: v[1], id: v[2] };
}
