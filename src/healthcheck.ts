// Container HEALTHCHECK: GET /healthz on the local listener (its certificate is not checked:
// this only asks whether the process answers).
import https from 'node:https';

const port = Number((process.env.FENESTRA_LISTEN ?? '0.0.0.0:8443').split(':').pop());
const req = https.get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy());
req.on('error', () => process.exit(1));
