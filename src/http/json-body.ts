// The JSON body parser. Fastify's own refuses an empty body sent with a JSON content type (so a
// DELETE from a client that always sets the header failed) and drops the position of a syntax
// error. This one keeps Fastify's parser (and its __proto__/constructor poisoning checks) and
// only changes those two answers.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../service/errors.js';

/** `at position 11 (line 3 column 1)` → the parts, from the engine's SyntaxError message. */
function positionOf(message: string): { offset?: number; line?: number; column?: number } {
  const offset = /position (\d+)/.exec(message);
  const lc = /line (\d+) column (\d+)/.exec(message);
  return { offset: offset ? Number(offset[1]) : undefined, line: lc ? Number(lc[1]) : undefined, column: lc ? Number(lc[2]) : undefined };
}

/** Why `body` is not JSON, with where; the engine's message names the position (V8 adds line and column). */
export function jsonSyntaxError(body: string): ApiError {
  try {
    JSON.parse(body);
  } catch (err) {
    const msg = (err as Error).message;
    const at = positionOf(msg);
    const where =
      at.line !== undefined
        ? `at line ${at.line} column ${at.column} (offset ${at.offset})`
        : at.offset !== undefined
          ? `at offset ${at.offset}`
          : 'at the end';
    return new ApiError(400, 'invalid_json', `body is not valid JSON ${where}: ${msg.replace(/ in JSON.*$/, '')}`, '/');
  }
  // JSON.parse took it: Fastify's parser refused a __proto__ or constructor.prototype key.
  return new ApiError(400, 'invalid_json', 'body holds a "__proto__" or "constructor" key, which is refused', '/');
}

export function jsonBodyParser(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // No body at all with a JSON content type: no body (a DELETE, a POST whose body is optional).
    if (text.length === 0) return done(null, undefined);
    strict(request, text, (err: Error | null, value?: unknown) => {
      if (err) done(jsonSyntaxError(text), undefined);
      else done(null, value);
    });
  });
}
