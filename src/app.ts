// Builds the Fastify application from its dependencies. Tests build it directly; server.ts
// is the only place that listens.
import crypto from 'node:crypto';
import type { ServerOptions } from 'node:https';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { type AdminDeps, adminRoutes } from './http/admin/index.js';
import { consolePlugin } from './http/console/index.js';
import { EntraSignIn } from './identity/entra-sign-in.js';
import { enrollmentRoutes } from './http/enrollment.js';
import { enrollmentSignInRoutes } from './http/enrollment-sign-in.js';
import { errorHandler } from './http/errors.js';
import { clientErrorOf, recordClientErrors } from './http/error-log.js';
import { validatorCompiler } from './http/validation.js';
import { healthRoutes } from './http/health.js';
import { requestDeadline } from './http/deadline.js';
import { managementRoutes } from './http/management.js';
import { Metrics, metricsRoute } from './http/metrics.js';
import { termsOfUseRoutes } from './http/terms-of-use.js';
import { contentRoutes } from './http/content.js';
import type { EntraValidator } from './identity/entra.js';
import { LoginThrottle } from './identity/throttle.js';
import { loggerOptions } from './log.js';
import type { CertificateAuthority } from './pki/ca.js';
import { DeviceService } from './service/devices.js';
import { EnrollmentAccountService } from './service/enrollment-accounts.js';
import type { EnrollmentDeps } from './service/enrollment/deps.js';
import { EnrollmentEndpoints } from './service/enrollment/endpoints.js';
import { DeviceCommandService } from './service/management/device-commands.js';
import { DeviceRevocationService } from './service/device-revocation.js';
import { DEFAULT_MANAGEMENT_SETTINGS, SessionEngine } from './service/management/engine.js';
import { Reconciler } from './service/reconcile/index.js';
import { contentUrlSigner } from './service/apps/content-url.js';
import { ProfileStatusService } from './service/reconcile/status.js';
import { AppCatalog } from './service/apps/catalog.js';
import { PushAdmin } from './service/push/admin.js';
import { PushHolder } from './service/push/holder.js';
import { PushService } from './service/push/service.js';
import { PushSettingsAdmin } from './service/push/settings-admin.js';
import { GroupService, ProfileService } from './service/profiles.js';
import { Outbound } from './service/entra/outbound.js';
import { EntraAppTokens } from './service/entra/token-provider.js';
import { GraphClient } from './service/entra/graph-client.js';
import { EntraGroupService } from './service/entra/groups.js';
import { TenantService } from './service/tenants.js';
import { ComplianceService } from './service/compliance/service.js';
import { CompliancePolicyService } from './service/compliance/policies.js';
import { DeviceComplianceView } from './service/compliance/view.js';
import { notifyComplianceOutbox } from './service/compliance/outbox.js';
import { AdminService } from './service/admins/service.js';
import { provideAuthenticator } from './http/admin/principal.js';
import type { Store } from './store/types.js';

export interface AppContext {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  entra: EntraValidator;
  adminToken: string;
  /** 32-byte server secret; sub-keys are derived per purpose. */
  secretKey: Buffer;
  logger?: Logger;
  now?: () => Date;
}

export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), `fenestra:${purpose}`, 32));
}

export interface BuildOptions {
  https?: ServerOptions;
  /**
   * Which routes this listener serves: the device endpoints (enrollment, OMA-DM, terms of use),
   * the admin API and /metrics, or both (default). Health checks are on every listener.
   */
  surfaces?: { device: boolean; admin: boolean };
  /** Shared between the listeners of one process (else one is made). */
  metrics?: Metrics;
  /** The push service of this process (pushHolder), shared between its listeners (else one is made). */
  push?: PushHolder;
}

export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const surfaces = opts.surfaces ?? { device: true, admin: true };
  const metrics = opts.metrics ?? new Metrics({ store: ctx.store, entra: ctx.entra, caNotAfter: ctx.ca.notAfter });
  const logger = ctx.logger ?? pino(loggerOptions(ctx.config.logLevel));
  const app = Fastify({
    loggerInstance: logger,
    https: opts.https ?? null,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // One access-log line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return reply.code(404).send({ error: { code: 'not_found', message: 'no such route' } });
    return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  });
  const accessLog = logger.isLevelEnabled('info');
  if (accessLog) recordClientErrors(app);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request, reply);
    if (accessLog) {
      request.log.info(
        {
          method: request.method,
          url: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          outcome: reply.getHeader('x-fenestra-outcome'),
          error: clientErrorOf(reply),
        },
        'request',
      );
    }
    done();
  });
  // Synchronous (callback) hook: an async one costs a promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  requestDeadline(app, ctx.config.requestDeadlineMs);

  const now = ctx.now ?? (() => new Date());
  const blobSecret = deriveKey(ctx.secretKey, 'terms-of-use');
  const cfg = ctx.config;
  const deps: EnrollmentDeps = {
    settings: {
      publicUrl: cfg.publicUrl,
      providerId: cfg.providerId,
      serverName: 'fenestra',
      certValidityDays: cfg.certValidityDays,
      renewPeriodDays: cfg.renewPeriodDays,
      retryIntervalDays: Math.min(7, cfg.renewPeriodDays),
      minRsaBits: 2048,
    },
    store: ctx.store,
    ca: ctx.ca,
    entra: ctx.entra,
    blobSecret,
    // The federated sign-in page's wresult tokens (rule 14): signed by the page, verified at RST.
    federatedTokenKey: deriveKey(ctx.secretKey, 'federated-token'),
    now,
    // Password guessing (UsernameToken, digest): per process, see identity/throttle.ts.
    loginThrottle: new LoginThrottle(),
  };

  await app.register(healthRoutes, { store: ctx.store });
  const profileKey = deriveKey(ctx.secretKey, 'profile-secrets');
  // App packages (issue #15): signed, expiring download URLs, put into commands when they are sent.
  const contentUrls = contentUrlSigner({ baseUrl: cfg.publicUrl, key: deriveKey(ctx.secretKey, 'content-urls'), ttlSeconds: cfg.contentUrlTtlHours * 3600 });
  const reconciler = new Reconciler(ctx.store, profileKey, { contentUrls });
  // Windows Hello policies that apply to an enrolling device ride in its provisioning document (issue #16).
  deps.profiles = reconciler;
  const push = opts.push ?? pushHolder(ctx, metrics, logger);
  const profileStatus = new ProfileStatusService(ctx.store, reconciler, cfg.publicUrl);
  // Compliance (issue #14): evaluated when a device's inventory arrives, when read, and by a background pass.
  const compliance = new ComplianceService({ store: ctx.store, now, log: logger.child({ component: 'compliance' }), notify: notifyComplianceOutbox });
  if (surfaces.device) {
    await app.register(enrollmentRoutes, {
      endpoints: new EnrollmentEndpoints(deps, logger.child({ component: 'enrollment' })),
      trustedProxies: cfg.trustedProxies,
    });
    const engine = new SessionEngine({
      settings: {
        ...DEFAULT_MANAGEMENT_SETTINGS,
        publicUrl: cfg.publicUrl,
        providerId: cfg.providerId,
        renewal: { renewPeriodDays: deps.settings.renewPeriodDays, retryIntervalDays: deps.settings.retryIntervalDays },
      },
      store: ctx.store,
      ca: ctx.ca,
      entra: ctx.entra,
      now,
      log: logger.child({ component: 'management' }),
      reconciler,
      observe: metrics.observe,
      loginThrottle: deps.loginThrottle,
      push,
      compliance,
    });
    await app.register(managementRoutes, { engine, trustedProxies: cfg.trustedProxies });
    await app.register(enrollmentSignInRoutes, {
      store: ctx.store,
      publicUrl: cfg.publicUrl,
      sealKey: deriveKey(ctx.secretKey, 'enrollment-sign-in'),
      tenantCredentialKey: deriveKey(ctx.secretKey, 'tenant-credentials'),
      tokenKey: deps.federatedTokenKey!,
      authorityOverride: cfg.entraAuthority,
      loginThrottle: deps.loginThrottle,
      now,
    });
    await app.register(termsOfUseRoutes, { deps: { validator: ctx.entra, blobSecret, now: () => now().getTime() } });
    // Package downloads: no client certificate needed (Windows downloads without it), the signed URL is the authorization.
    await app.register(contentRoutes, { store: ctx.store, signer: contentUrls, now: () => now().getTime(), stallMs: cfg.contentStallSeconds * 1000 });
  }
  if (!surfaces.admin) return app;
  compliance.start();
  app.addHook('onClose', async () => compliance.stop());
  await app.register(metricsRoute, { metrics, token: cfg.metricsToken ?? ctx.adminToken });
  // Administrators (issue #13): the API and the console authenticate through the same service.
  const admins = new AdminService({
    store: ctx.store,
    csrfKey: deriveKey(ctx.secretKey, 'console-csrf'),
    now,
    idleMinutes: cfg.consoleSession.idleMinutes,
    sessionHours: cfg.consoleSession.hours,
  });
  provideAuthenticator(app, { adminToken: ctx.adminToken, admins, trustedProxies: cfg.trustedProxies?.proxies });
  // Entra ID and Microsoft Graph for the connected tenants (issue #14): one outbound path, MSAL tokens, Graph.
  const tenantCredentialKey = deriveKey(ctx.secretKey, 'tenant-credentials');
  const entraOutbound = new Outbound(cfg.testOutbound);
  app.addHook('onClose', async () => entraOutbound.close());
  const entraTokens = new EntraAppTokens({ outbound: entraOutbound, sealKey: tenantCredentialKey });
  const entraGraph = new GraphClient({ outbound: entraOutbound, tokens: entraTokens });
  // Entra groups as assignment targets: their membership synced on a timer and on demand.
  const entraGroups = new EntraGroupService({ store: ctx.store, graph: entraGraph, now, log: logger.child({ component: 'entra-groups' }) });
  /** An Entra group got its first assignment (a profile or a compliance policy): synced now rather than at the next round. */
  const syncEntraGroupNow = (groupId: string) => {
    void ctx.store.entraGroups
      .get(groupId)
      .then((g) => g && entraGroups.syncOne(g))
      .catch(() => undefined);
  };
  entraGroups.start(cfg.entraGroupSyncMinutes);
  app.addHook('onClose', async () => entraGroups.stop());
  const profiles = new ProfileService(ctx.store, profileKey, syncEntraGroupNow);
  const adminDeps: AdminDeps = {
    adminToken: ctx.adminToken,
    store: ctx.store,
    tenants: new TenantService(ctx.store, {
      sealKey: tenantCredentialKey,
      validate: { outbound: entraOutbound, tokens: entraTokens, graph: entraGraph, now },
      defaultConsentRedirect: (tenantId) => `${cfg.publicUrl}/console/entra/${tenantId}/validate`,
      forget: (tenantId) => entraTokens.forget(tenantId),
    }),
    accounts: new EnrollmentAccountService(ctx.store),
    devices: new DeviceService(ctx.store, profileStatus, (pk) => push.health(pk)),
    commands: new DeviceCommandService(ctx.store, cfg.providerId, (c) => push.commandQueued(c)),
    revocation: new DeviceRevocationService(ctx.store, cfg.providerId, undefined, (c) => push.commandQueued(c)),
    push: new PushAdmin(ctx.store, push),
    pushSettings: new PushSettingsAdmin(ctx.store, push, { production: cfg.production, sealKey: deriveKey(ctx.secretKey, 'push-settings') }),
    profiles,
    apps: new AppCatalog({
      store: ctx.store,
      profiles,
      status: profileStatus,
      maxBytes: cfg.contentMaxBytes,
      vendor: { ...cfg.testOutbound, privateHosts: cfg.appPrivateHosts },
    }),
    entraGroups,
    groups: new GroupService(ctx.store),
    compliancePolicies: new CompliancePolicyService(ctx.store, syncEntraGroupNow),
    deviceCompliance: new DeviceComplianceView(ctx.store, compliance),
    profileStatus,
    admins,
    publicUrl: cfg.publicUrl,
    adminListenerOnly: !surfaces.device,
  };
  await app.register(adminRoutes, adminDeps);
  // The console (issue #13): server-rendered pages over the same services, on the admin surface.
  const entra = cfg.consoleEntra && {
    client: new EntraSignIn(cfg.consoleEntra),
    stateKey: deriveKey(ctx.secretKey, 'console-entra-state'),
    redirectUri: cfg.consoleEntra.redirectUri,
  };
  await app.register(consolePlugin, { deps: adminDeps, ownListener: !surfaces.device, entra, trustedProxies: cfg.trustedProxies?.proxies });
  return app;
}

/**
 * The push service of a process (service/push/holder.ts): from the FENESTRA_WNS_PFN… variables when set, else from
 * the settings an admin stored through the API; its outcomes counted in fenestra_pushes_total.
 * One per process: startServer shares it between the listeners and waits for its pushes at close.
 */
export function pushHolder(ctx: AppContext, metrics: Metrics, logger?: Logger): PushHolder {
  const pushes = metrics.counter('fenestra_pushes_total', 'WNS pushes by result (sent, gone, throttled, token-error…; no-channel and backoff: none sent)', [
    'result',
  ]);
  const log = (logger ?? ctx.logger ?? pino(loggerOptions(ctx.config.logLevel))).child({ component: 'push' });
  const sealKey = deriveKey(ctx.secretKey, 'push-channel');
  const providerId = ctx.config.providerId;
  return new PushHolder({
    store: ctx.store,
    env: ctx.config.wns && { ...ctx.config.wns, providerId },
    providerId,
    settingsKey: deriveKey(ctx.secretKey, 'push-settings'),
    log,
    build: (settings) => new PushService({ store: ctx.store, settings, sealKey, log, onResult: (result) => pushes.inc({ result }) }),
  });
}
