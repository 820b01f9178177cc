// Whether a node value is what its OMA-DM Meta Format says (docs: protocol.md §8.7): shared by
// custom profiles and raw admin commands, which would otherwise be sent to fail on the device
// (405/415/500) in every session until answered. Pure.
import { XmlError, parseXml } from '../xml.js';

const INT = /^-?[0-9]+$/;
const FLOAT = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** ISO 8601 calendar date, extended (2026-12-06) or basic (20261206). */
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
/** ISO 8601 time of day, optional leading T, fraction and zone: 14:30, 14:30:00.5Z, T143000+0100. */
const TIME = /^T?(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function dateProblem(v: string): string | undefined {
  const m = DATE.exec(v);
  if (!m) return 'must be an ISO 8601 date (YYYY-MM-DD) for format date';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days ? undefined : 'is not a calendar date (format date)';
}

function timeProblem(v: string): string | undefined {
  const m = TIME.exec(v);
  if (!m) return 'must be an ISO 8601 time (hh:mm:ss, optional zone) for format time';
  const [h, mi, s] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  return h <= 23 && mi <= 59 && s <= 60 ? undefined : 'is not a time of day (format time)';
}

/** Why `value` does not suit `format`, or undefined when it does (and for formats with no rule: chr, bin). */
export function formatValueProblem(format: string | undefined, value: string): string | undefined {
  switch (format) {
    case 'int': {
      if (!INT.test(value)) return 'must be a decimal integer for format int';
      const x = Number(value);
      return x < -2147483648 || x > 2147483647 ? 'must fit in a signed 32-bit integer for format int' : undefined;
    }
    case 'bool':
      return value === 'true' || value === 'false' ? undefined : 'must be "true" or "false" for format bool';
    case 'float':
      return FLOAT.test(value) ? undefined : 'must be a decimal number for format float';
    case 'b64':
      return B64.test(value) ? undefined : 'must be base64 (no line breaks) for format b64';
    case 'date':
      return dateProblem(value);
    case 'time':
      return timeProblem(value);
    case 'node':
      return value === '' ? undefined : 'must be "" for format node (an interior node has no value)';
    case 'null':
      return value === '' ? undefined : 'must be "" for format null (no value)';
    case 'xml':
      try {
        parseXml(`<x>${value}</x>`, { maxBytes: 2 * 1024 * 1024, maxDepth: 64 });
        return undefined;
      } catch (err) {
        return `must be well-formed XML for format xml (${err instanceof XmlError ? err.message : String(err)})`;
      }
    default:
      return undefined;
  }
}
