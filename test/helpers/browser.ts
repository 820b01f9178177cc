// The console's browser tests: Debian's chromium (/usr/bin/chromium) driven by playwright-core,
// headless, reaching the test server at its public host name (mapped to 127.0.0.1) over real TLS
// whose certificate it does not check (the test CA is not in its store). One browser per test
// file (openConsole starts it with the server); each signed-in person gets a context of their own
// (own cookies). Screenshots go to test-output/screenshots/; checkA11y runs axe-core in the page
// and fails on serious or critical violations, and on any Content-Security-Policy violation the
// page reported; look does both.
//
// Signing in through the sign-in page is what test/console/shell.test.ts tests; the other files
// get their signed-in contexts faster: the same form POST sent from here, its session cookie put
// into the context (signedIn), the page opened where the test starts (`at`).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { AdminRole } from '../../src/domain/admin.js';
import { PUBLIC_HOST, startTestServer, type TestServer } from './server.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export const noBrowser: string | undefined = fs.existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: install Debian's chromium package (.ci/run does) to run the console's browser tests`;

const SCREENSHOTS = path.join(import.meta.dirname, '..', '..', 'test-output', 'screenshots');

/**
 * A headless chromium. playwright-core starts it with a fresh temporary profile (user-data-dir)
 * of its own, removed at close; the flags keep it from calling anywhere but the test server.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${PUBLIC_HOST} 127.0.0.1`,
    ],
  });
}

/** The console's base URL on the listener that serves it (the admin one when split off). */
export const consoleBase = (server: TestServer): string => `https://${PUBLIC_HOST}:${server.server.adminPort ?? server.server.port}`;

const cspErrors = new WeakMap<Page, string[]>();

/** Content-Security-Policy violations the page reported so far. */
export const cspViolations = (page: Page): string[] => cspErrors.get(page) ?? [];

/** A context of its own (cookies, language) with one page, which records CSP violations. */
export async function newSession(browser: Browser, opts: { lang?: 'en' | 'fr'; width?: number } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: opts.lang === 'fr' ? 'fr-FR' : 'en-GB',
    viewport: { width: opts.width ?? 1280, height: 900 },
  });
  // A selector that does not come is a failure to report, not a wait until the test's timeout.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  cspErrors.set(page, errors);
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  return { context, page };
}

/** A full-page PNG at test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name.replace(/[^a-zA-Z0-9_.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core over the page as it is: throws, listing them, on serious or critical violations, or
 * when the page reported a CSP violation. axe is evaluated through the DevTools protocol, which
 * the page's CSP does not govern, so the page's own policy stays in force for everything else.
 */
export async function checkA11y(page: Page, name: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: AxeViolation[] }> } };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const csp = cspViolations(page);
  if (bad.length || csp.length) {
    const lines = [
      ...bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`),
      ...csp.map((c) => `CSP: ${c}`),
    ];
    throw new Error(`${name}: ${bad.length} serious or critical accessibility violations, ${csp.length} CSP violations\n${lines.join('\n')}`);
  }
}

export interface TestAdmin {
  username: string;
  password: string;
  role: AdminRole;
}

/** A new administrator of this role, created through the admin API with the break-glass token. */
export async function createAdmin(server: TestServer, role: AdminRole, username = `${role}-${crypto.randomBytes(3).toString('hex')}`): Promise<TestAdmin> {
  const password = `pw-${crypto.randomBytes(12).toString('base64url')}`;
  const r = await server.admin('POST', '/api/v1/admins', { username, displayName: `Test ${role}`, role, password });
  if (r.status !== 201) throw new Error(`creating admin ${username}: ${r.status} ${JSON.stringify(r.json)}`);
  return { username, password, role };
}

export interface SessionOptions {
  lang?: 'en' | 'fr';
  width?: number;
  /** The console page to open once signed in: the dashboard unless said otherwise; false for none (about:blank). */
  at?: string | false;
}

/**
 * A context signed in as this administrator, with one page: the sign-in form's POST sent from
 * here (the same request the page sends, answered by the same code), its session cookie put into
 * the context, then the page opened at `at`.
 */
export async function signedInAs(
  browser: Browser,
  server: TestServer,
  admin: Pick<TestAdmin, 'username' | 'password'>,
  opts: SessionOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const base = consoleBase(server);
  const [res, session] = await Promise.all([
    server.request(`${base}/console/sign-in`, {
      connectTo: { host: '127.0.0.1', port: server.server.adminPort ?? server.server.port },
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: admin.username, password: admin.password, next: '/console/' }).toString(),
    }),
    newSession(browser, opts),
  ]);
  const set = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  const cookie = set.map((c) => /^(__Host-fenestra-session)=([^;]*)/.exec(c)).find((m) => m);
  if (res.status !== 303 || !cookie) throw new Error(`signing in ${admin.username}: ${res.status} ${res.text().slice(0, 200)}`);
  await session.context.addCookies([{ name: cookie[1], value: cookie[2], url: base, secure: true, httpOnly: true, sameSite: 'Strict' }]);
  const at = opts.at ?? '/console/';
  if (at !== false) {
    const r = await session.page.goto(`${base}${at}`);
    // Signed in: the page itself, not the sign-in page it would redirect to.
    if (session.page.url() !== `${base}${at}`) throw new Error(`${admin.username} opening ${at}: ${r?.status()} at ${session.page.url()}`);
  }
  return session;
}

/** A new administrator of `role` and a browser context signed in as them, on the dashboard (or `at`). */
export async function signedIn(
  browser: Browser,
  server: TestServer,
  role: AdminRole,
  opts: SessionOptions = {},
): Promise<{ admin: TestAdmin; context: BrowserContext; page: Page }> {
  const admin = await createAdmin(server, role);
  return { admin, ...(await signedInAs(browser, server, admin, opts)) };
}

/** A screenshot (test-output/screenshots/<name>.png), then axe-core and the CSP check (checkA11y). */
export async function look(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await checkA11y(page, name);
}

export interface OpenConsole {
  server: TestServer;
  browser: Browser;
  /** The console's base URL (consoleBase). */
  base: string;
  /** signedIn on this server and browser. */
  signedIn(role: AdminRole, opts?: SessionOptions): ReturnType<typeof signedIn>;
}

/**
 * A test server and a browser, started together and closed at the end of the test (`t`'s
 * teardown): the preamble of a console browser test file.
 */
export async function openConsole(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string> = {},
  opts: Parameters<typeof startTestServer>[1] = {},
): Promise<OpenConsole> {
  const [server, browser] = await Promise.allSettled([startTestServer(env, opts), launchBrowser()]);
  if (server.status === 'rejected' || browser.status === 'rejected') {
    if (server.status === 'fulfilled') await server.value.close();
    if (browser.status === 'fulfilled') await browser.value.close();
    throw server.status === 'rejected' ? server.reason : (browser as PromiseRejectedResult).reason;
  }
  t.teardown(async () => {
    await browser.value.close();
    await server.value.close();
  });
  return {
    server: server.value,
    browser: browser.value,
    base: consoleBase(server.value),
    signedIn: (role, o) => signedIn(browser.value, server.value, role, o),
  };
}
