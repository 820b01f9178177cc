// Logger options shared by the server and the CLI. Secrets never reach a log line:
// request headers that carry credentials or client certificates are redacted, and
// request bodies (SOAP security headers, SyncML Cred) are never logged.
import type { LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers.devicetoken',
  'req.headers["ssl-client-cert"]',
  'req.headers["x-ssl-client-cert"]',
  'req.headers["x-forwarded-client-cert"]',
  'req.headers["x-forwarded-tls-client-cert"]',
  'req.headers["x-arr-clientcert"]',
  'req.headers["mdm-signature"]',
  'req.headers["ms-signature"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.privateKey',
  '*.keyPem',
  '*.adminToken',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(req: { id?: string; method?: string; url?: string; headers?: Record<string, unknown>; ip?: string }) {
        // Drop the query string: ToU redirect targets and tokens must not be logged.
        const url = typeof req.url === 'string' ? req.url.split('?')[0] : req.url;
        return { id: req.id, method: req.method, url, ip: req.ip, ua: req.headers?.['user-agent'] };
      },
    },
  };
}
