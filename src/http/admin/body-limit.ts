// Request body limits derived from the body schemas, so that the limit never refuses what the
// schema accepts (a 90 KB ADMX custom profile, a 10,000-member group): the largest JSON text the
// schema admits, with room for whitespace, capped by a ceiling for schemas with unbounded parts.

/** No admin body is larger: also the limit of a schema with an unbounded part (profile settings). */
const BODY_CEILING = 8 * 1024 * 1024;
/** Never below Fastify's usual limit: small bodies with generous indentation still fit. */
const BODY_FLOOR = 64 * 1024;
/** Per value: indentation, a newline, separators. */
const SLACK = 16;
/** Worst case UTF-8 bytes per JSON string character (a BMP character above U+07FF). */
const BYTES_PER_CHAR = 3;

type Schema = Record<string, unknown>;

/** Largest JSON text, in bytes, that `schema` admits; Infinity when something in it is unbounded. */
function maxJsonBytes(schema: unknown): number {
  if (!schema || typeof schema !== 'object') return Infinity;
  const s = schema as Schema;
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k]) && !s.type) return Math.max(...(s[k] as unknown[]).map(maxJsonBytes));
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string | undefined];
  if (Array.isArray(s.enum)) return SLACK + Math.max(...(s.enum as unknown[]).map((v) => JSON.stringify(v).length * BYTES_PER_CHAR));
  return Math.max(...types.map((t) => maxOfType(t, s)));
}

function maxOfType(type: string | undefined, s: Schema): number {
  switch (type) {
    case 'string':
      return typeof s.maxLength === 'number' ? SLACK + 2 + s.maxLength * BYTES_PER_CHAR : Infinity;
    case 'integer':
    case 'number':
      return SLACK + 24;
    case 'boolean':
    case 'null':
      return SLACK + 5;
    case 'array':
      return typeof s.maxItems === 'number' ? SLACK + 2 + s.maxItems * (maxJsonBytes(s.items) + 1) : Infinity;
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      // Other keys than the declared ones are refused only with additionalProperties: false.
      if (s.additionalProperties !== false || Object.keys(props).length === 0) return Infinity;
      let n = SLACK + 2;
      for (const [k, v] of Object.entries(props)) n += k.length + 4 + maxJsonBytes(v);
      return n;
    }
    default:
      return Infinity;
  }
}

/** The route's body limit: what the schema admits, at least the usual 64 KiB, at most the ceiling. */
export function bodyLimitFor(schema: unknown): number {
  return Math.min(BODY_CEILING, Math.max(BODY_FLOOR, Math.ceil(maxJsonBytes(schema))));
}
