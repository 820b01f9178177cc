// The federated sign-in pages (rule 14, MS-MDE2 §3.2) as HTML, in the Windows host's theme of the
// terms-of-use pages: the sign-in page (Entra ID, or an on-premises enrollment account), the page
// that posts `wresult` to Windows, and the error page. Everything written into a page is escaped.
import { createHash } from 'node:crypto';
import { escapeHtml } from './terms-of-use-page.js';

type Theme = 'dark' | 'light';
export function themeFor(cxhHost: string | undefined): Theme {
  return typeof cxhHost === 'string' && cxhHost.trim().toUpperCase() === 'FRX' ? 'dark' : 'light';
}

const PALETTES: Record<Theme, Record<string, string>> = {
  dark: {
    scheme: 'dark',
    bg: '#202020',
    fg: '#ffffff',
    muted: '#d6d6d6',
    border: '#9a9a9a',
    primaryBg: '#4cc2ff',
    primaryFg: '#000000',
    error: '#ff99a4',
    focus: '#ffffff',
    link: '#99ebff',
  },
  light: {
    scheme: 'light',
    bg: '#ffffff',
    fg: '#1b1b1b',
    muted: '#505050',
    border: '#767676',
    primaryBg: '#005fb8',
    primaryFg: '#ffffff',
    error: '#c42b1c',
    focus: '#000000',
    link: '#003e92',
  },
};

function css(theme: Theme): string {
  const p = PALETTES[theme];
  return `
:root{color-scheme:${p.scheme}}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:${p.bg};color:${p.fg};font-family:"Segoe UI Variable","Segoe UI",system-ui,sans-serif;font-size:15px;line-height:1.5}
main{max-width:36rem;margin:0 auto;padding:2rem 1.5rem}
h1{font-size:1.75rem;font-weight:600;margin:0 0 1rem}
h2{font-size:1.2rem;font-weight:600;margin:1.75rem 0 .5rem}
.muted{color:${p.muted}}
.error{color:${p.error};border-left:4px solid ${p.error};padding:.25rem .75rem;margin:1rem 0}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{font:inherit;width:100%;min-height:2.5rem;padding:.4rem .6rem;border:1px solid ${p.border};border-radius:4px;background:${p.bg};color:${p.fg}}
input:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
a{color:${p.link}}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
.button,button{display:inline-block;font:inherit;min-width:8rem;min-height:2.5rem;padding:.4rem 1.25rem;border-radius:4px;cursor:pointer;text-align:center;text-decoration:none;background:${p.primaryBg};color:${p.primaryFg};border:1px solid ${p.primaryBg}}
.button:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
ul.tenants{list-style:none;padding:0}
ul.tenants li{margin:.5rem 0}
@media (forced-colors:active){.button,button,input{border:1px solid CanvasText}}
`;
}

function layout(theme: Theme, title: string, body: string, head = ''): string {
  return `<!DOCTYPE html>
<html lang="en" class="theme-${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${css(theme)}</style>${head}
</head>
<body>
<main id="main" aria-labelledby="page-title">
${body}
</main>
</body>
</html>
`;
}

/** A way to sign in with Entra ID: one per connected tenant that has an application credential. */
export interface EntraChoice {
  href: string;
  /** The tenant's id (what the user can tell apart). */
  label: string;
}

export interface SignInPageModel {
  attempt: string;
  loginHint?: string;
  entra: EntraChoice[];
  accounts: boolean;
  /** The username typed before (kept after a refusal). */
  username?: string;
  error?: string;
}

export function renderSignInPage(m: SignInPageModel, cxhHost?: string): string {
  const theme = themeFor(cxhHost);
  const parts: string[] = ['<h1 id="page-title">Sign in to enroll this device</h1>'];
  if (m.loginHint) parts.push(`<p class="muted">Enrolling as <strong>${escapeHtml(m.loginHint)}</strong></p>`);
  if (m.error) parts.push(`<p class="error" role="alert" id="sign-in-error">${escapeHtml(m.error)}</p>`);
  if (m.entra.length === 1) {
    parts.push(
      '<h2 id="entra-title">With your work account</h2>',
      `<p class="actions"><a class="button" id="entra" href="${escapeHtml(m.entra[0].href)}">Sign in with Microsoft Entra ID</a></p>`,
    );
  } else if (m.entra.length > 1) {
    parts.push(
      '<h2 id="entra-title">With your work account</h2><p>Choose your organization’s Microsoft Entra tenant:</p>',
      `<ul class="tenants" aria-labelledby="entra-title">${m.entra.map((c) => `<li><a class="button" href="${escapeHtml(c.href)}">Sign in to tenant ${escapeHtml(c.label)}</a></li>`).join('')}</ul>`,
    );
  }
  if (m.accounts) {
    const invalid = m.error ? ' aria-invalid="true" aria-describedby="sign-in-error"' : '';
    parts.push(
      `<h2 id="account-title">${m.entra.length ? 'Or with an enrollment account' : 'With your enrollment account'}</h2>`,
      `<form method="post" aria-labelledby="account-title">`,
      `<input type="hidden" name="attempt" value="${escapeHtml(m.attempt)}">`,
      `<label for="username">User name</label>`,
      `<input type="text" id="username" name="username" autocomplete="username" required maxlength="256" value="${escapeHtml(m.username ?? '')}"${invalid}>`,
      `<label for="password">Password</label>`,
      `<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${invalid}>`,
      '<div class="actions"><button type="submit">Sign in</button></div>',
      '</form>',
    );
  }
  if (!m.entra.length && !m.accounts) {
    parts.push('<p role="alert">This server has no way to sign you in yet. Contact your IT department.</p>');
  }
  return layout(theme, 'Sign in to enroll this device', parts.join('\n'));
}

/** The one script of these pages: submits the form that carries wresult (allowed by its hash in the CSP). */
const AUTO_SUBMIT = 'document.forms[0].submit();';
export const AUTO_SUBMIT_HASH = `'sha256-${createHash('sha256').update(AUTO_SUBMIT).digest('base64')}'`;

/** MS-MDE2 §3.2: an HTML form that POSTs `wresult` to exactly the appru Windows gave, submitted at once. */
export function renderPostTokenPage(appru: string, wresult: string, cxhHost?: string): string {
  const theme = themeFor(cxhHost);
  return layout(
    theme,
    'Signed in',
    `<h1 id="page-title">Signed in</h1>
<p>Windows is continuing the enrollment. If nothing happens, choose Continue.</p>
<form method="post" action="${escapeHtml(appru)}">
<input type="hidden" name="wresult" value="${escapeHtml(wresult)}">
<div class="actions"><button type="submit">Continue</button></div>
</form>
<script>${AUTO_SUBMIT}</script>`,
  );
}

export function renderSignInErrorPage(title: string, message: string, cxhHost?: string): string {
  return layout(
    themeFor(cxhHost),
    title,
    `<h1 id="page-title">${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>Close this window and start the enrollment again from Settings. If the problem continues, contact your IT department.</p>`,
  );
}
