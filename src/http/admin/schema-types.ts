// The admin routes' request types come from the same JSON schemas that validate the requests
// (schemas.ts): a Fastify type provider that runs json-schema-to-ts over each route's body,
// params and querystring schema. Types only.
//
// Only the request side: the response schemas are loose on purpose (they document the replies in
// the OpenAPI document) and the services return domain records, so replies stay untyped here, as
// they were before. (This is why @fastify/type-provider-json-schema-to-ts is not used: it types
// replies from the response schemas as well.)
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyTypeProvider,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

interface RequestSchemaTypes extends FastifyTypeProvider {
  validator: this['schema'] extends JSONSchema ? FromSchema<this['schema']> : unknown;
  serializer: unknown;
}

/** The admin API's Fastify instance: `request.body`, `.params` and `.query` typed from the route schema. */
export type AdminApi = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, RequestSchemaTypes>;
