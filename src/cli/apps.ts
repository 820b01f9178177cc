// `fenestra apps ...`: the app catalog (issue #15) — list, show, upload a package (streamed from
// disk, never read whole), add a vendor-hosted package by URL and SHA-256, choose the live
// version, deploy to targets.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { flag, str, UsageError, type Options, type Parsed } from './args.js';
import { ApiCallError, apiClient, connection, CONNECTION_HELP, CONNECTION_OPTIONS, type ApiClient } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { print, record, table, type Row } from './output.js';

interface App {
  id: string;
  name: string;
  kind: string;
  publisher?: string;
  liveVersionId?: string;
  liveVersion?: string;
  versionCount?: number;
}
interface Version {
  id: string;
  version: string;
  source: string;
  sha256?: string;
  size?: number;
  createdAt: string;
}
interface Added {
  app: App;
  version: Version;
}

/** An app by id, or by its exact name when one app has it. */
async function resolveApp(api: ApiClient, ref: string): Promise<App & { versions: Version[] }> {
  const byId = await api.call<App & { versions: Version[] }>('GET', `/api/v1/apps/${encodeURIComponent(ref)}`).catch((err: unknown) => {
    if (err instanceof ApiCallError && err.status === 404) return undefined;
    throw err;
  });
  if (byId) return byId;
  const named = (await api.call<App[]>('GET', '/api/v1/apps')).filter((a) => a.name === ref);
  if (named.length === 0) throw new UsageError(`no app ${JSON.stringify(ref)} (neither an app id nor an app's name)`);
  if (named.length > 1) throw new UsageError(`several apps are named ${JSON.stringify(ref)}: give the id (${named.map((a) => a.id).join(', ')})`);
  return api.call('GET', `/api/v1/apps/${encodeURIComponent(named[0].id)}`);
}

const list: Command = {
  name: 'list',
  summary: 'list the apps of the catalog',
  usage: `usage: fenestra apps list [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<App[]>('GET', '/api/v1/apps');
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['ID', (r) => r.id],
        ['NAME', (r) => r.name],
        ['KIND', (r) => r.kind],
        ['PUBLISHER', (r) => r.publisher ?? ''],
        ['LIVE', (r) => r.liveVersion ?? ''],
        ['VERSIONS', (r) => r.versionCount ?? 0],
      ]),
    );
    return 0;
  },
};

const show: Command = {
  name: 'show',
  summary: 'one app: its versions and deployments',
  usage: `usage: fenestra apps show APP [--status] [--json]

APP is the app's id or its name.
  --status   also where delivery stands, per device and user (GET /apps/ID/status)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, status: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'APP' },
  async run(p) {
    const api = apiClient(p);
    const app = await resolveApp(api, p.positionals[0]);
    const status = flag(p, 'status') ? await api.call<Row[]>('GET', `/api/v1/apps/${encodeURIComponent(app.id)}/status`) : undefined;
    const out = status ? { ...app, status } : app;
    print(flag(p, 'json'), out, () => {
      const { versions, deployments: _d, ...rest } = app as App & { versions: Version[]; deployments?: unknown };
      let text = record(rest as unknown as Row) + 'versions:\n';
      text += table(versions, [
        ['ID', (v) => v.id],
        ['VERSION', (v) => `${v.version}${v.id === app.liveVersionId ? ' (live)' : ''}`],
        ['SOURCE', (v) => v.source],
        ['SIZE', (v) => v.size ?? ''],
        ['SHA256', (v) => v.sha256 ?? ''],
        ['ADDED', (v) => v.createdAt],
      ]);
      const deployments = (app as { deployments?: Row[] }).deployments ?? [];
      if (deployments.length) text += `deployments: ${JSON.stringify(deployments, null, 2)}\n`;
      if (status) text += `status: ${JSON.stringify(status, null, 2)}\n`;
      return text;
    });
    return 0;
  },
};

/** POSTs the file as the raw body, streamed from disk with its Content-Length. */
function streamFile(p: Parsed, file: string, pathName: string): Promise<{ status: number; json: unknown }> {
  const c = connection(p);
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new UsageError(`${file} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const u = new URL(`${c.url}${pathName}`);
  return new Promise((resolve, reject) => {
    const input = fs.createReadStream(file);
    const req = https.request(
      {
        host: u.hostname,
        port: u.port || 443,
        path: u.pathname + u.search,
        method: 'POST',
        ...(c.ca ? { ca: c.ca } : {}),
        headers: {
          authorization: `Bearer ${c.token}`,
          accept: 'application/json',
          'content-type': 'application/octet-stream',
          'content-length': String(size),
        },
      },
      (res) => {
        // An answer before the whole file was sent is a refusal: nothing more to send.
        input.unpipe(req);
        input.destroy();
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const e = (json as { error?: { code?: string; message?: string; pointer?: string } } | undefined)?.error;
            reject(new ApiCallError(status, e?.code ?? 'error', e?.message ?? (text.slice(0, 200) || 'no details'), e?.pointer));
          } else resolve({ status, json });
        });
      },
    );
    // A refusal (413, 422) may close the connection before the whole file is sent: the answer says why.
    req.on('error', (err) => reject(new Error(`cannot reach ${c.url}: ${err.message}`, { cause: err })));
    input.on('error', (err) => req.destroy(err));
    input.pipe(req);
  });
}

const addedText = (r: Added, status: number) =>
  status === 201
    ? `added ${r.app.name} ${r.version.version} (app ${r.app.id}, version ${r.version.id})${r.app.liveVersionId === r.version.id ? ', live' : ''}\n`
    : `already in the catalog: ${r.app.name} ${r.version.version} (app ${r.app.id}, version ${r.version.id})\n`;

const upload: Command = {
  name: 'upload',
  summary: 'add a package (MSI, MSIX, APPX, bundle) from a file',
  usage: `usage: fenestra apps upload FILE [--app APP] [--json]

Sends FILE (streamed) to the catalog: a new app, or a new version of the app the package
belongs to (its UpgradeCode or package family name). The first version of an app is live;
later ones become live with fenestra apps live.
  --app APP   the app this must be a version of (refused if the package is another app)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, app: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(p) {
    const file = p.positionals[0];
    const appRef = str(p, 'app');
    const appId = appRef ? (await resolveApp(apiClient(p), appRef)).id : undefined;
    const route = appId ? `/api/v1/apps/${encodeURIComponent(appId)}/versions` : '/api/v1/apps/packages';
    const r = await streamFile(p, file, `${route}?fileName=${encodeURIComponent(path.basename(file))}`);
    print(flag(p, 'json'), r.json, () => addedText(r.json as Added, r.status));
    return 0;
  },
};

const addUrl: Command = {
  name: 'add-url',
  summary: 'add a vendor-hosted package by its HTTPS URL and SHA-256',
  usage: `usage: fenestra apps add-url URL --sha256 HASH [--json]

The server fetches URL once over HTTPS and keeps the package only if its SHA-256 is HASH.

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, sha256: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'URL' },
  async run(p) {
    const sha256 = str(p, 'sha256');
    if (!sha256) throw new UsageError('--sha256 HASH is required: the SHA-256 the package must have');
    const api = apiClient(p);
    const r = await api.call<Added>('POST', '/api/v1/apps/public', { url: p.positionals[0], sha256 });
    print(flag(p, 'json'), r, () => `${r.app.name} ${r.version.version} (app ${r.app.id}, version ${r.version.id})\n`);
    return 0;
  },
};

const live: Command = {
  name: 'live',
  summary: 'choose the version devices get',
  usage: `usage: fenestra apps live APP VERSION [--json]

APP is the app's id or name; VERSION a version's id or its version number (2.1.0).

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 2, max: 2, names: 'APP VERSION' },
  async run(p) {
    const api = apiClient(p);
    const app = await resolveApp(api, p.positionals[0]);
    const ref = p.positionals[1];
    const v = app.versions.find((x) => x.id === ref) ?? app.versions.find((x) => x.version === ref);
    if (!v) throw new UsageError(`${app.name} has no version ${JSON.stringify(ref)} (versions: ${app.versions.map((x) => x.version).join(', ') || 'none'})`);
    const r = await api.call<App>('PUT', `/api/v1/apps/${encodeURIComponent(app.id)}/live`, { versionId: v.id });
    print(flag(p, 'json'), r, () => `${app.name}: version ${v.version} is live\n`);
    return 0;
  },
};

const TARGET_HELP = `  --target TARGET   all, user:UPN-OR-OID, group:GROUP-ID, device:ID, entraGroup:OBJECT-ID
  --intent INTENT   install (default) or uninstall
  --scope SCOPE     user or device (default: user for MSIX and per-user MSIs, else device)`;

function deployBody(p: Parsed) {
  const target = str(p, 'target');
  if (!target) throw new UsageError('--target is required (all, user:…, group:…, device:…, entraGroup:…)');
  const colon = target.indexOf(':');
  const targetType = colon < 0 ? target : target.slice(0, colon);
  const targetId = colon < 0 ? undefined : target.slice(colon + 1);
  if (!['all', 'user', 'group', 'device', 'entraGroup'].includes(targetType))
    throw new UsageError(`--target ${JSON.stringify(target)}: unknown target type ${targetType}`);
  if (targetType !== 'all' && !targetId) throw new UsageError(`--target ${targetType}:ID needs the ID`);
  const intent = str(p, 'intent') ?? 'install';
  if (intent !== 'install' && intent !== 'uninstall') throw new UsageError('--intent is install or uninstall');
  const scope = str(p, 'scope');
  if (scope !== undefined && scope !== 'user' && scope !== 'device') throw new UsageError('--scope is user or device');
  return { targetType, ...(targetId ? { targetId } : {}), intent, ...(scope ? { scope } : {}) };
}

const DEPLOY_OPTIONS: Options = { ...CONNECTION_OPTIONS, target: { type: 'string' }, intent: { type: 'string' }, scope: { type: 'string' } };

const assign: Command = {
  name: 'assign',
  summary: 'install (or uninstall) an app on a target',
  usage: `usage: fenestra apps assign APP --target TARGET [--intent install|uninstall] [--scope user|device] [--json]

${TARGET_HELP}

${CONNECTION_HELP}`,
  options: DEPLOY_OPTIONS,
  positionals: { min: 1, max: 1, names: 'APP' },
  async run(p) {
    const body = deployBody(p);
    const api = apiClient(p);
    const app = await resolveApp(api, p.positionals[0]);
    const r = await api.call<Row>('POST', `/api/v1/apps/${encodeURIComponent(app.id)}/assignments`, body);
    print(
      flag(p, 'json'),
      r,
      () => `${app.name}: ${String(r.intent)} on ${String(r.targetType)}${r.targetId === '*' ? '' : ` ${String(r.targetId)}`} (${String(r.scope)} scope)\n`,
    );
    return 0;
  },
};

const unassign: Command = {
  name: 'unassign',
  summary: 'remove a deployment of an app',
  usage: `usage: fenestra apps unassign APP --target TARGET [--intent install|uninstall] [--scope user|device]

${TARGET_HELP}

${CONNECTION_HELP}`,
  options: DEPLOY_OPTIONS,
  positionals: { min: 1, max: 1, names: 'APP' },
  async run(p) {
    const body = deployBody(p);
    const api = apiClient(p);
    const app = await resolveApp(api, p.positionals[0]);
    await api.call('DELETE', `/api/v1/apps/${encodeURIComponent(app.id)}/assignments`, body);
    print(flag(p, 'json'), { removed: true }, () => `${app.name}: deployment removed\n`);
    return 0;
  },
};

export const appsGroup: CommandGroup = {
  name: 'apps',
  summary: 'the app catalog: list, show, upload, add by URL, live version, deploy',
  commands: [list, show, upload, addUrl, live, assign, unassign],
};
