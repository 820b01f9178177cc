// The admin routes' request types come from their JSON schemas (src/http/admin/schema-types.ts):
// a request the type refuses, the schema refuses with a 400, and what the schema fills in (query
// defaults) the type has as required. The `@ts-expect-error` lines are checked by the type check
// (npm run typecheck): if the request types became looser (e.g. `any`), they would be unused.
import Fastify from 'fastify';
import t from 'tap';
import type { AdminApi } from '../../src/http/admin/schema-types.js';
import { pageQuery, tenantIdParams, tenantPatchBody } from '../../src/http/admin/schemas.js';
import { validatorCompiler } from '../../src/http/validation.js';

t.test('the tenant PATCH body, params and page query are typed from their schemas', async (t) => {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  const api: AdminApi = app.withTypeProvider();
  api.patch('/tenants/:tenantId', { schema: { params: tenantIdParams, body: tenantPatchBody, querystring: pageQuery } }, (request) => {
    const tenantId: string = request.params.tenantId;
    const cloud: 'standard' | 'gcc-high' | undefined = request.body.cloud;
    const enrollmentUrl: string | null | undefined = request.body.enrollmentUrl;
    // Defaults are filled in by the validator: the type has them as required.
    const limit: number = request.query.limit;
    // @ts-expect-error the tenant id is not in the PATCH body
    void request.body.tenantId;
    // @ts-expect-error cloud is one of two names, not any string
    const other: 'other' | undefined = request.body.cloud;
    void other;
    return { tenantId, cloud, enrollmentUrl, limit };
  });
  t.teardown(() => app.close());

  const ok = await app.inject({ method: 'PATCH', url: '/tenants/abc', payload: { cloud: 'gcc-high', enrollmentUrl: null } });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { tenantId: 'abc', cloud: 'gcc-high', enrollmentUrl: null, limit: 100 });
  t.equal((await app.inject({ method: 'PATCH', url: '/tenants/abc', payload: { tenantId: 'def' } })).statusCode, 400, 'the schema refuses a tenant id too');
  t.equal((await app.inject({ method: 'PATCH', url: '/tenants/abc', payload: { cloud: 'other' } })).statusCode, 400, 'and a cloud of another name');
});
