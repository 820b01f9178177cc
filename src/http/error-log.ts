// What a client was told when it got a 4xx, for the access log line: the `{error:{code}}` of the
// admin API, or the first line of a device endpoint's text answer. Read from the answer itself
// (onSend), so every route and hook that refuses a request is covered, however it answers.
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface ClientError {
  code?: string;
  reason?: string;
}

const told = new WeakMap<FastifyReply, ClientError>();
/** Larger answers are not refusals worth parsing (ours are a few hundred bytes). */
const MAX_PARSED = 16 * 1024;
const MAX_REASON = 200;

export function recordClientErrors(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
      if (text !== undefined && text.length <= MAX_PARSED) told.set(reply, clientError(text));
    }
    done(null, payload);
  });
}

/** For the access log line of a 4xx answer; undefined otherwise. */
export function clientErrorOf(reply: FastifyReply): ClientError | undefined {
  return told.get(reply);
}

function clientError(text: string): ClientError {
  if (text.startsWith('{')) {
    try {
      const code = (JSON.parse(text) as { error?: { code?: unknown } })?.error?.code;
      if (typeof code === 'string') return { code };
    } catch {
      // not JSON after all: logged as text below
    }
  }
  const reason = text.split('\n', 1)[0].trim().slice(0, MAX_REASON);
  return reason ? { reason } : {};
}
