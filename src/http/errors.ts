// One error handler for the whole app. Admin API: JSON { error: { code, message, pointer? } }.
// Device paths: short text. Never a stack trace.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../service/errors.js';
import { StoreConflictError, isStoreUnavailable } from '../store/errors.js';

interface ValidationItem {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function pointerOf(v: ValidationItem): string {
  const base = v.instancePath ?? '';
  const missing = v.params?.missingProperty ?? v.params?.additionalProperty;
  return typeof missing === 'string' ? `${base}/${missing}` : base || '/';
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  let code = 'internal';
  let message = 'internal error';
  let pointer: string | undefined;
  let all: { pointer: string; message: string }[] | undefined;
  if (err instanceof ApiError) {
    status = err.status;
    code = err.code;
    message = err.message;
    pointer = err.pointer;
  } else if (err.validation) {
    // Every schema error (ajv allErrors), each with its pointer; `pointer` and `message` stay
    // those of the first, as before.
    status = 400;
    code = 'invalid';
    const where = err.validationContext && err.validationContext !== 'body' ? `${err.validationContext} ` : '';
    all = (err.validation as ValidationItem[]).map((v) => {
      const at = pointerOf(v);
      return { pointer: at, message: `${where}${at} ${v.message ?? 'is invalid'}` };
    });
    pointer = all[0].pointer;
    message = all[0].message;
  } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    status = 415;
    code = 'unsupported_media_type';
    message = `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted on this endpoint`;
  } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    status = 413;
    code = 'too_large';
    // Admin routes: the route's limit (derived from its schema; their JSON parser sets none of
    // its own). Device paths keep their short text: their parsers have limits of their own.
    message = request.url.startsWith('/api/') ? `body exceeds ${request.routeOptions.bodyLimit} bytes` : 'request body too large';
  } else if (err instanceof StoreConflictError) {
    // Another replica served a concurrent message of the same session first: try again.
    status = 503;
    code = 'busy';
    message = 'a concurrent request of this session was served first; retry';
    reply.header('retry-after', String(err.retryAfterSeconds));
    request.log.info({ reason: err.message }, 'store conflict');
  } else if (isStoreUnavailable(err)) {
    // Database down, unreachable, too slow, or its disk full: nothing was done; try again later.
    status = 503;
    code = 'unavailable';
    message = 'the database is unavailable; retry later';
    reply.header('retry-after', '5');
    request.log.warn({ reason: err.message }, 'store unavailable');
  } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    status = err.statusCode;
    code = (err.code ?? 'bad_request').toLowerCase();
    message = err.message;
  } else {
    request.log.error({ err }, 'unhandled error');
  }
  if (request.url.startsWith('/api/')) {
    return reply.code(status).send({ error: pointer ? { code, message, pointer, ...(all ? { errors: all } : {}) } : { code, message } });
  }
  return reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}
