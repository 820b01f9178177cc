// The console's routes as page modules see them: `page` for a GET that renders, `action` for a
// form POST. Both authenticate first (no principal: to the sign-in page, then back), check the
// capability (a 403 page otherwise), and give the handler the principal, language and CSRF token;
// an action's form is urlencoded, size-limited, and must carry the session's CSRF token.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminPrincipal } from '../../domain/admin.js';
import { can, type Capability } from '../../service/admins/capabilities.js';
import { ApiError } from '../../service/errors.js';
import { cookiesOf, LANG_COOKIE, setFlash } from './cookies.js';
import { Html } from './html.js';
import { type Lang, langOf } from './i18n.js';

export interface PageContext {
  request: FastifyRequest;
  reply: FastifyReply;
  principal: AdminPrincipal;
  lang: Lang;
  /** The session's CSRF token ('' for a bearer-token principal, which needs none). */
  csrfToken: string;
  query: Record<string, string | string[]>;
}

/** A page to send (status: whatever the handler set on ctx.reply, else 200), or a redirect (303) with a one-time message for the next page. */
export type PageResult = Html | { redirect: string; flash?: string };

export type FormData = Record<string, string | string[]>;

export interface ConsoleRoutes {
  /** GET page; the capability is checked first (403 page otherwise). `path` is under /console ('/devices/:id'; '/console/devices/:id' works too). */
  page(path: string, capability: Capability, handler: (ctx: PageContext) => Promise<PageResult>): void;
  /** POST form action (urlencoded); CSRF checked; capability may depend on the form (e.g. the command chosen). */
  action(path: string, capability: Capability | ((form: FormData) => Capability), handler: (ctx: PageContext, form: FormData) => Promise<PageResult>): void;
}

export type Authenticate = (request: FastifyRequest) => Promise<AdminPrincipal | undefined>;

/** Largest urlencoded form an action accepts. */
export const FORM_LIMIT = 256 * 1024;

/** What the framework renders itself: the refusal and error pages (layout.ts). */
export interface PageRenderers {
  forbidden(ctx: PageContext, capability: Capability): Html;
  error(ctx: PageContext | undefined, lang: Lang, status: number, message: string): Html;
}

/** The first value of a form or query field ('' when absent). */
export function one(values: FormData, name: string): string {
  const v = values[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/**
 * A service refusal as { field: message } for showing next to the field: the field is the first
 * segment of the error's pointer ('/password' → 'password'; no pointer → '' : a message for the form).
 * undefined when the error is not a refusal of the input (rethrow it).
 */
export function fieldErrors(err: unknown): Record<string, string> | undefined {
  if (!(err instanceof ApiError) || err.status >= 500) return undefined;
  const field = (err.pointer ?? '').split('/')[1] ?? '';
  return { [field]: err.message };
}

/** A path a redirect may lead to after sign-in: a same-site path under /console, else /console/. */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/console/';
  let u: URL;
  try {
    u = new URL(next, 'https://console.invalid');
  } catch {
    return '/console/';
  }
  if (u.origin !== 'https://console.invalid' || !(u.pathname === '/console' || u.pathname.startsWith('/console/'))) return '/console/';
  return u.pathname + u.search;
}

export const langOfRequest = (request: FastifyRequest): Lang => langOf(cookiesOf(request)[LANG_COOKIE], request.headers['accept-language']);

export function parseForm(body: string): FormData {
  const out: FormData = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function sameToken(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/** Sends a page result: HTML, or a 303 to the redirect with its flash. */
export function sendResult(reply: FastifyReply, result: PageResult) {
  if (result instanceof Html) return reply.type('text/html; charset=utf-8').send(result.value);
  if (result.flash) setFlash(reply, result.flash);
  return reply.code(303).header('location', result.redirect).send();
}

/** A urlencoded form post (the only body console actions take). */
export const isForm = (request: FastifyRequest): boolean => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(String(request.headers['content-type'] ?? ''));

const contexts = new WeakMap<FastifyRequest, PageContext>();
/** The page context of an authenticated console request (for the error page's layout). */
export const contextOf = (request: FastifyRequest): PageContext | undefined => contexts.get(request);

const routePath = (p: string) => (p === '/console' ? '/' : p.startsWith('/console/') ? p.slice('/console'.length) : p);

/** ConsoleRoutes on a Fastify instance registered under the /console prefix. */
export function createConsoleRoutes(app: FastifyInstance, authenticate: Authenticate, render: PageRenderers): ConsoleRoutes {
  async function contextFor(request: FastifyRequest, reply: FastifyReply): Promise<PageContext | undefined> {
    const principal = await authenticate(request);
    if (!principal) return undefined;
    const ctx: PageContext = {
      request,
      reply,
      principal,
      lang: langOfRequest(request),
      csrfToken: principal.csrfToken ?? '',
      query: request.query as Record<string, string | string[]>,
    };
    contexts.set(request, ctx);
    return ctx;
  }
  const toSignIn = (reply: FastifyReply, next?: string) =>
    reply
      .code(303)
      .header('location', next ? `/console/sign-in?next=${encodeURIComponent(next)}` : '/console/sign-in')
      .send();
  const forbidden = (ctx: PageContext, capability: Capability) => sendResult(ctx.reply.code(403), render.forbidden(ctx, capability));

  return {
    page(path, capability, handler) {
      app.get(routePath(path), async (request, reply) => {
        const ctx = await contextFor(request, reply);
        if (!ctx) return toSignIn(reply, request.url);
        if (!can(ctx.principal, capability)) return forbidden(ctx, capability);
        return sendResult(reply, await handler(ctx));
      });
    },
    action(path, capability, handler) {
      app.post(routePath(path), { bodyLimit: FORM_LIMIT }, async (request, reply) => {
        const ctx = await contextFor(request, reply);
        if (!ctx) return toSignIn(reply);
        if (!isForm(request) || typeof request.body !== 'object' || request.body === null) {
          return sendResult(reply.code(415), render.error(ctx, ctx.lang, 415, 'the form must be sent as application/x-www-form-urlencoded'));
        }
        const form = request.body as FormData;
        // A cookie session's forms carry its CSRF token; a bearer token is not sent by a browser on its own.
        if (ctx.principal.via === 'session' && !sameToken(one(form, '_csrf'), ctx.csrfToken)) {
          request.log.warn({ admin: ctx.principal.name, path: request.url }, 'console form without the session CSRF token');
          return sendResult(reply.code(403), render.error(ctx, ctx.lang, 403, 'csrf'));
        }
        const needed = typeof capability === 'function' ? capability(form) : capability;
        if (!can(ctx.principal, needed)) return forbidden(ctx, needed);
        try {
          return sendResult(reply, await handler(ctx, form));
        } catch (err) {
          // A refusal the page did not show inline: back to the form's page (its `_back` field; pages
          // send no Referer) with the message, else an error page saying it.
          if (!(err instanceof ApiError) || err.status >= 500) throw err;
          const back = one(form, '_back');
          if (back && safeNext(back) === back) return sendResult(reply, { redirect: back, flash: err.message });
          return sendResult(reply.code(err.status), render.error(ctx, ctx.lang, err.status, err.message));
        }
      });
    },
  };
}
