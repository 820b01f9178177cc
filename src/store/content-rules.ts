// What both content backends check the same way: the hash names a blob (lower-case hex SHA-256,
// which also keeps it a safe file name), a range lies inside the blob.
import type { ContentRange } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const isSha256 = (s: string): boolean => SHA256_HEX.test(s);

/** The range as [start, end] inclusive, checked against the blob's size (the whole blob when absent). */
export function rangeIn(size: number, range: ContentRange | undefined): { start: number; end: number } {
  if (!range) return { start: 0, end: size - 1 };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= size) {
    throw new RangeError(`range ${start}-${end} is not inside the ${size} bytes of the content`);
  }
  return { start, end };
}

/** Checks a readAt request: offset and length whole and not negative. */
export function checkReadAt(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`readAt(${offset}, ${length}): offset and length must be whole numbers, not negative`);
  }
}
