// GET /metrics in the Prometheus text format (prom-client): request latency, enrollments by
// result and fault, OMA-DM sessions and the SyncML statuses devices answer, the command queue,
// profile deliveries (held ones: waiting for a user), Entra JWKS refresh age and failures, days
// to CA and TLS certificate expiry, and the process's own figures. Guarded by a bearer token:
// FENESTRA_METRICS_TOKEN when set (give Prometheus that one), else the admin token.
//
// With FENESTRA_WORKERS the answering worker asks the primary, which merges every worker's
// registry (prom-client AggregatorRegistry): counters add up, store figures are taken once.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import client from 'prom-client';
import type { CommandAck } from '../domain/command.js';
import type { EntraValidator } from '../identity/entra.js';
import type { Store } from '../store/types.js';

export interface MetricsDeps {
  store: Store;
  entra: EntraValidator;
  caNotAfter: Date;
  tlsNotAfter?: Date;
  token: string;
}

const STORE_CACHE_MS = 15_000;
const DAY_S = 86_400;

export class Metrics {
  readonly registry = new client.Registry();
  private readonly duration: client.Histogram<'route' | 'method' | 'status'>;
  private readonly enrollment: client.Counter<'step' | 'outcome'>;
  private readonly dmMessages: client.Counter<'outcome'>;
  private readonly dmSessions: client.Counter;
  private readonly sessionOutcomes: client.Counter<'outcome'>;
  private readonly enrollments: client.Counter<'result'>;
  private readonly commands: client.Counter<'state'>;
  private readonly syncmlStatus: client.Counter<'code'>;
  private readonly deps: Omit<MetricsDeps, 'token'>;

  constructor(deps: Omit<MetricsDeps, 'token'>) {
    this.deps = deps;
    const r = this.registry;
    client.collectDefaultMetrics({ register: r, prefix: 'fenestra_' });
    this.duration = new client.Histogram({
      name: 'fenestra_http_request_duration_seconds',
      help: 'HTTP requests by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });
    this.enrollment = new client.Counter({
      name: 'fenestra_enrollment_requests_total',
      help: 'Enrollment service requests by step (discovery, policy, enrollment) and outcome (ok or the fault subcode)',
      labelNames: ['step', 'outcome'],
      registers: [r],
    });
    this.dmMessages = new client.Counter({
      name: 'fenestra_dm_messages_total',
      help: 'OMA-DM messages answered, by outcome',
      labelNames: ['outcome'],
      registers: [r],
    });
    this.dmSessions = new client.Counter({ name: 'fenestra_dm_sessions_total', help: 'OMA-DM sessions started (authenticated package 1)', registers: [r] });
    this.sessionOutcomes = new client.Counter({
      name: 'fenestra_dm_session_outcomes_total',
      help: 'OMA-DM sessions ended or turned away, by outcome: complete, unenrolled, refused, throttled, malformed, error (HTTP 5xx)',
      labelNames: ['outcome'],
      registers: [r],
    });
    this.enrollments = new client.Counter({
      name: 'fenestra_enrollments_total',
      help: 'Enrollments and renewals answered (Enrollment.svc), by result: ok or the fault subcode',
      labelNames: ['result'],
      registers: [r],
    });
    this.commands = new client.Counter({
      name: 'fenestra_commands_total',
      help: 'Commands sent to devices (sent) and answered, by the state the answer left them in (acked, failed, queued again…)',
      labelNames: ['state'],
      registers: [r],
    });
    this.syncmlStatus = new client.Counter({
      name: 'fenestra_syncml_status_total',
      help: 'SyncML status codes devices answered to our commands',
      labelNames: ['code'],
      registers: [r],
    });

    let cache: { at: number; queue: Record<string, number>; deliveries: Record<string, number>; devices: number } | undefined;
    const storeFigures = async () => {
      if (!cache || Date.now() - cache.at > STORE_CACHE_MS) {
        const [queue, deliveries, devices] = await Promise.all([
          deps.store.commands.stateCounts(),
          deps.store.deliveries.statusCounts(),
          deps.store.devices.count(),
        ]);
        cache = { at: Date.now(), queue, deliveries, devices };
      }
      return cache;
    };
    new client.Gauge({
      name: 'fenestra_command_queue',
      help: 'Commands waiting or in flight, by state (held: waiting for their user to sign in)',
      labelNames: ['state'],
      aggregator: 'first',
      registers: [r],
      async collect() {
        const f = await storeFigures();
        for (const state of ['queued', 'held', 'sent']) this.set({ state }, f.queue[state] ?? 0);
      },
    });
    new client.Gauge({
      name: 'fenestra_profile_deliveries',
      help: 'Profile deliveries per (device, user) by status (held: waiting for a user, a certificate, or a user context)',
      labelNames: ['status'],
      aggregator: 'first',
      registers: [r],
      async collect() {
        const f = await storeFigures();
        for (const status of ['pending', 'held', 'delivered', 'verified', 'failed', 'removing', 'removed']) this.set({ status }, f.deliveries[status] ?? 0);
      },
    });
    new client.Gauge({
      name: 'fenestra_devices',
      help: 'Devices in the store',
      aggregator: 'first',
      registers: [r],
      async collect() {
        this.set((await storeFigures()).devices);
      },
    });
    new AbsentUntilKnownGauge(
      {
        name: 'fenestra_entra_jwks_refresh_age_seconds',
        help: 'Seconds since the last successful Entra JWKS fetch (absent before the first)',
        aggregator: 'min',
        registers: [r],
      },
      () => {
        const last = deps.entra.stats().lastRefresh;
        return last ? (Date.now() - last.getTime()) / 1000 : undefined;
      },
    );
    new client.Gauge({
      name: 'fenestra_entra_jwks_fetches',
      help: 'Entra JWKS fetches since start (a counter: rate() it)',
      registers: [r],
      collect() {
        this.set(deps.entra.stats().jwksFetches);
      },
    });
    new client.Gauge({
      name: 'fenestra_entra_jwks_failures',
      help: 'Failed Entra JWKS fetches since start (a counter: rate() it)',
      registers: [r],
      collect() {
        this.set(deps.entra.stats().jwksFailures);
      },
    });
    new client.Gauge({
      name: 'fenestra_certificate_expiry_days',
      help: 'Days until the device CA (ca) and the TLS certificate (tls) expire',
      labelNames: ['certificate'],
      aggregator: 'first',
      registers: [r],
      collect() {
        this.set({ certificate: 'ca' }, (deps.caNotAfter.getTime() - Date.now()) / 1000 / DAY_S);
        if (deps.tlsNotAfter) this.set({ certificate: 'tls' }, (deps.tlsNotAfter.getTime() - Date.now()) / 1000 / DAY_S);
      },
    });
  }

  /** Engine hooks. */
  readonly observe = {
    sessionStarted: () => this.dmSessions.inc(),
    deviceStatus: (code: string) => this.syncmlStatus.inc({ code: /^\d{3}$/.test(code) ? code : 'other' }),
    commands: (sent: number, acks: readonly CommandAck[]) => {
      if (sent) this.commands.inc({ state: 'sent' }, sent);
      for (const a of acks) this.commands.inc({ state: a.state });
    },
  };

  /**
   * A counter of another module (e.g. push), in this registry so /metrics and the cluster merge
   * include it. Asking again for the same name returns the same counter (the registry is shared by
   * the listeners of a process, each building its app).
   */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): client.Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) {
      if (!(existing instanceof client.Counter)) throw new Error(`metric ${name} is registered and is not a counter`);
      return existing as client.Counter<L>;
    }
    return new client.Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** One request done (onResponse hook): latency by route, and the outcome of device endpoints. */
  request(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    this.duration.observe({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const outcome = reply.getHeader('x-fenestra-outcome');
    if (typeof outcome !== 'string') {
      // A device message that failed inside (store unavailable, a bug): the session is lost.
      if (route === '/ManagementServer/MDM.svc' && reply.statusCode >= 500) this.sessionOutcomes.inc({ outcome: 'error' });
      return;
    }
    if (route === '/ManagementServer/MDM.svc') {
      this.dmMessages.inc({ outcome });
      const ended = SESSION_END[outcome];
      if (ended) this.sessionOutcomes.inc({ outcome: ended });
    } else if (route.startsWith('/EnrollmentServer/')) {
      const step = STEP[route] ?? 'other';
      this.enrollment.inc({ step, outcome });
      if (step === 'enrollment') this.enrollments.inc({ result: outcome });
    }
  }

  async text(): Promise<string> {
    if (cluster.isWorker) return askPrimary();
    return this.registry.metrics();
  }
}

/**
 * Management message outcomes that end a session (idle: the server had nothing more to send) or
 * turn one away. `commands` continues it; a digest challenge is answered by the device's retry.
 */
const SESSION_END: Record<string, string> = { idle: 'complete', unenrolled: 'unenrolled', refused: 'refused', throttled: 'throttled', malformed: 'malformed' };

/** A label-less gauge prom-client would print as 0 when never set: here absent until read() knows a value. */
class AbsentUntilKnownGauge extends client.Gauge {
  private readonly read: () => number | undefined;
  constructor(config: client.GaugeConfiguration<string>, read: () => number | undefined) {
    super(config);
    this.read = read;
  }

  override async get(): Promise<client.MetricObjectWithValues<client.MetricValue<string>>> {
    const v = this.read();
    const m = await super.get();
    if (v === undefined) return { ...m, values: [] };
    this.set(v);
    return { ...m, values: [{ value: v, labels: {} }] };
  }
}

const STEP: Record<string, string> = {
  '/EnrollmentServer/Discovery.svc': 'discovery',
  '/EnrollmentServer/Policy.svc': 'policy',
  '/EnrollmentServer/Enrollment.svc': 'enrollment',
};

// ---- cluster: the primary merges the workers' registries -----------------------------------------

const ASK = 'fenestra:metrics';
const ANSWER = 'fenestra:metrics:text';

function askPrimary(): Promise<string> {
  const id = crypto.randomUUID();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer the metrics request'));
    }, 10_000);
    const onMessage = (m: unknown) => {
      const msg = m as { type?: string; id?: string; text?: string; error?: string };
      if (msg?.type !== ANSWER || msg.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (msg.error) reject(new Error(msg.error));
      else resolve(msg.text ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: ASK, id });
  });
}

/** In the primary: answer workers' metrics requests with every worker's registry merged. */
export function serveClusterMetrics(): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker, m: { type?: string; id?: string }) => {
    if (m?.type !== ASK) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: m.id, text }),
      (err: Error) => worker.send({ type: ANSWER, id: m.id, error: err.message }),
    );
  });
}

/** In a worker: report this registry when the primary collects. */
export function reportToPrimary(registry: client.Registry): void {
  if (!cluster.isWorker) return;
  client.AggregatorRegistry.setRegistries([registry]);
  // Constructing one is what makes prom-client answer the primary's collection requests here.
  new client.AggregatorRegistry();
}

export async function metricsRoute(app: FastifyInstance, opts: { metrics: Metrics; token: string }): Promise<void> {
  const expected = crypto.createHash('sha256').update(`Bearer ${opts.token}`).digest();
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const got = crypto
      .createHash('sha256')
      .update(request.headers.authorization ?? '')
      .digest();
    if (!crypto.timingSafeEqual(got, expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .type('text/plain; charset=utf-8')
        .send('a bearer token is required (FENESTRA_METRICS_TOKEN, else the admin token)\n');
    }
    const text = await opts.metrics.text();
    return reply.type(client.register.contentType).send(text);
  });
}
