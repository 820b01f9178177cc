// Admin API: the app catalog (issue #15) — apps, their versions read from uploaded or
// vendor-hosted packages, Microsoft 365 Apps by configuration, the live version, deployment to
// targets (the app's profiles of kind 'app') and where delivery stands.
//
// A package is the raw request body (Content-Type application/octet-stream), streamed into the
// content store as it arrives: the routes that take one are registered in a scope of their own
// whose content-type parser hands the request stream on instead of reading it (Fastify's body
// limit applies to parsers that read; the catalog's limit, FENESTRA_CONTENT_MAX_BYTES, applies
// while the stream is stored, and a larger Content-Length is refused before reading).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppCatalog } from '../../service/apps/catalog.js';
import { ApiError } from '../../service/errors.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import {
  appAdded,
  appDeleteQuery,
  appDetail,
  appIdParams,
  appList,
  appPatchBody,
  appReply,
  appStatusReply,
  appVersionParams,
  deployBody,
  deployReply,
  liveBody,
  officeAppBody,
  packageQuery,
  publicAppBody,
} from './apps-schemas.js';
import { errorReplies, errorReply, noContent } from './openapi-replies.js';

const app = (operationId: string, summary: string) => ({ operationId, summary, tags: ['apps'] });
const OCTET_STREAM = 'application/octet-stream';

/** How long, and how many bytes, a refused upload's remaining body is read and dropped before its connection is cut. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Refused before the whole body was read (too large, not a package, wrong type): the connection
 * cannot carry another request, so it is closed after the answer. Closed at once, the client
 * still sending would get a reset that can discard the answer before it reads it; so what it
 * keeps sending is read and dropped for a moment (as a web server's lingering close does), at
 * most LINGER_MS and LINGER_BYTES, then the connection is cut.
 */
function lingerThenClose(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  reply.raw.setHeader('connection', 'close');
  // Nothing left to drain (a request whose end was read: Fastify's inject has no `complete`).
  if (raw.destroyed || raw.readableEnded) return;
  let dropped = 0;
  // Destroying a request not wholly received destroys its socket; under inject, whose request
  // has no real socket, it ends the request alone.
  const cut = () => raw.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}

/** The package routes' replies: 201 added, 200 the same package was there already, and the refusals. */
const packageReplies = {
  201: appAdded('Added: the app (made when new) and the version read from the package'),
  200: appAdded('This package was in the catalog already: its app and version'),
  ...errorReplies(400, 404, 409, 413, 415),
  422: errorReply('Not a package fenestra can read (the message says what is wrong), or the download failed or had another SHA-256'),
};

export function appRoutes(api: AdminApi, deps: { apps: AppCatalog }): void {
  const catalog = deps.apps;
  const added = (reply: FastifyReply, r: { app: unknown; version: unknown; created: boolean }) =>
    reply.code(r.created ? 201 : 200).send({ app: r.app, version: r.version });

  api.get('/api/v1/apps', { schema: { ...app('listApps', 'List the apps of the catalog'), response: { 200: appList, ...errorReplies() } } }, () =>
    catalog.list(),
  );

  // The raw package routes: a scope whose parser passes the request stream on unread.
  void api.register(async (scope) => {
    // Every type reaches the handler unread (it refuses all but octet-stream with a 415 naming it).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    const upload = async (request: FastifyRequest, reply: FastifyReply, appId?: string) => {
      try {
        return await receive(request, reply, appId);
      } catch (err) {
        if (!request.raw.complete) lingerThenClose(request, reply);
        throw err;
      }
    };
    const receive = async (request: FastifyRequest, reply: FastifyReply, appId?: string) => {
      const type = String(request.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (type !== OCTET_STREAM || !request.body) {
        throw new ApiError(415, 'unsupported_media_type', `send the package itself as the body, with Content-Type ${OCTET_STREAM} (not ${type || 'none'})`);
      }
      const length = Number(request.headers['content-length']);
      if (Number.isFinite(length) && length > catalog.maxBytes) {
        throw new ApiError(413, 'too_large', `the package is ${length} bytes, larger than the limit of ${catalog.maxBytes} bytes`);
      }
      const { fileName } = request.query as { fileName?: string };
      const r = await catalog.upload(request.body as AsyncIterable<Uint8Array>, { fileName: fileName || undefined, actor: actorOf(request), appId });
      return added(reply, r);
    };
    const typed = scope as unknown as AdminApi;
    typed.post(
      '/api/v1/apps/packages',
      {
        schema: {
          ...app('uploadAppPackage', 'Add a package (MSI, MSIX, APPX or bundle), sent as the raw body: a version of its app, made when new'),
          querystring: packageQuery,
          response: packageReplies,
        },
        bodyLimit: Number.MAX_SAFE_INTEGER,
      },
      (request, reply) => upload(request, reply),
    );
    typed.post(
      '/api/v1/apps/:id/versions',
      {
        schema: {
          ...app('uploadAppVersion', 'Add a version of this app from a package sent as the raw body (409 if the package is another app)'),
          params: appIdParams,
          querystring: packageQuery,
          response: packageReplies,
        },
        bodyLimit: Number.MAX_SAFE_INTEGER,
      },
      (request, reply) => upload(request, reply, request.params.id),
    );
  });

  api.post(
    '/api/v1/apps/public',
    {
      schema: {
        ...app('addPublicApp', 'Add a package hosted by its vendor: fetched once over HTTPS and kept only with the SHA-256 given'),
        body: publicAppBody,
        response: packageReplies,
      },
    },
    async (request, reply) => added(reply, await catalog.addFromUrl({ ...request.body, actor: actorOf(request) })),
  );
  api.post(
    '/api/v1/apps/office',
    {
      schema: {
        ...app('addOfficeApp', 'Add Microsoft 365 Apps by an Office Deployment Tool configuration'),
        body: officeAppBody,
        response: { ...packageReplies, 201: appAdded('Added'), 200: appAdded('This configuration was in the catalog already') },
      },
    },
    async (request, reply) => added(reply, await catalog.addOffice({ ...request.body, actor: actorOf(request) })),
  );
  api.get(
    '/api/v1/apps/:id',
    {
      schema: {
        ...app('getApp', 'Get an app, its versions and its deployments'),
        params: appIdParams,
        response: { 200: appDetail, ...errorReplies(400, 404) },
      },
    },
    (request) => catalog.get(request.params.id),
  );
  api.patch(
    '/api/v1/apps/:id',
    {
      schema: {
        ...app('updateApp', 'Rename an app or change its description'),
        params: appIdParams,
        body: appPatchBody,
        response: { 200: { ...appReply, description: 'The app as changed' }, ...errorReplies(400, 404, 413, 415) },
      },
    },
    (request) => catalog.update(request.params.id, request.body, actorOf(request)),
  );
  api.delete(
    '/api/v1/apps/:id',
    {
      schema: {
        ...app('deleteApp', 'Delete an app (force=true: even though profiles deploy it)'),
        params: appIdParams,
        querystring: appDeleteQuery,
        response: { 204: noContent('Deleted'), ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await catalog.remove(request.params.id, actorOf(request), request.query.force);
      return reply.code(204).send();
    },
  );
  api.put(
    '/api/v1/apps/:id/live',
    {
      schema: {
        ...app('setAppLiveVersion', 'Choose the version devices get; the app’s profiles get a new version with it'),
        params: appIdParams,
        body: liveBody,
        response: { 200: { ...appReply, description: 'The app with its live version' }, ...errorReplies(400, 404, 413, 415) },
      },
    },
    (request) => catalog.setLive(request.params.id, request.body.versionId, actorOf(request)),
  );
  api.delete(
    '/api/v1/apps/:id/versions/:versionId',
    {
      schema: {
        ...app('deleteAppVersion', 'Delete a version (not the live one)'),
        params: appVersionParams,
        response: { 204: noContent('Deleted'), ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await catalog.removeVersion(request.params.id, request.params.versionId, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/apps/:id/assignments',
    {
      schema: {
        ...app('deployApp', 'Install or uninstall the app on a target: assigns its profile for that intent and scope (made when needed)'),
        params: appIdParams,
        body: deployBody,
        response: { 201: deployReply, ...errorReplies(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await catalog.assign(request.params.id, request.body, actorOf(request))),
  );
  api.delete(
    '/api/v1/apps/:id/assignments',
    {
      schema: {
        ...app('undeployApp', 'Remove a deployment (the body names it as when it was made)'),
        params: appIdParams,
        body: deployBody,
        response: { 204: noContent('Removed'), ...errorReplies(400, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      await catalog.unassign(request.params.id, request.body, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/apps/:id/status',
    {
      schema: {
        ...app('getAppStatus', 'Where delivery of the app stands: per profile, each device and user'),
        params: appIdParams,
        response: { 200: appStatusReply, ...errorReplies(400, 404) },
      },
    },
    (request) => catalog.deliveryStatus(request.params.id),
  );
}
