// Request validation for the admin API. JSON bodies are validated strictly — a number where a
// string belongs is an error, not coerced — while query strings and path parameters, which are
// text on the wire, are coerced to the declared types.
import { Ajv, type Options } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// allErrors: a request is answered with every problem at once, not one per attempt.
const common: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
const strictAjv = new Ajv({ ...common, coerceTypes: false });
const coercingAjv = new Ajv({ ...common, coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object);
