// The federated sign-in pages (rule 14, MS-MDE2 §3.2) as HTML, in the Windows host's theme shared
// with the terms-of-use pages (device-page-theme.ts): the sign-in page (Entra ID, or an
// on-premises enrollment account), the page that posts `wresult` to Windows, and the error page.
// Everything written into a page is escaped.
import { createHash } from 'node:crypto';
import { escapeHtml, type Palette, renderDevicePage, themeFor } from './device-page-theme.js';

const css = (p: Palette) => `h2{font-size:1.2rem;font-weight:600;margin:1.75rem 0 .5rem}
.muted{color:${p.muted}}
.error{color:${p.error};border-left:4px solid ${p.error};padding:.25rem .75rem;margin:1rem 0}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{font:inherit;width:100%;min-height:2.5rem;padding:.4rem .6rem;border:1px solid ${p.border};border-radius:4px;background:${p.bg};color:${p.fg}}
input:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
a{color:${p.link}}
.button{display:inline-block;font:inherit;min-width:8rem;min-height:2.5rem;padding:.4rem 1.25rem;border-radius:4px;text-align:center;text-decoration:none}
.button,button{background:${p.primaryBg};color:${p.primaryFg};border:1px solid ${p.primaryBg}}
.button:focus-visible,a:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
ul.tenants{list-style:none;padding:0}
ul.tenants li{margin:.5rem 0}
@media (forced-colors:active){.button,button,input{border:1px solid CanvasText}}
`;

const layout = (cxhHost: string | undefined, title: string, body: string) =>
  renderDevicePage({ theme: themeFor(cxhHost), title, titleId: 'page-title', width: '36rem', css, body });

/** A way to sign in with Entra ID: one per connected tenant that has an application credential. */
export interface EntraChoice {
  href: string;
  /** The tenant as the user knows it: its domain (or its id before any domain is known). */
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
      `<ul class="tenants" aria-labelledby="entra-title">${m.entra.map((c) => `<li><a class="button" href="${escapeHtml(c.href)}">Sign in with ${escapeHtml(c.label)}</a></li>`).join('')}</ul>`,
    );
  }
  if (m.accounts) {
    const invalid = m.error ? ' aria-invalid="true" aria-describedby="sign-in-error"' : '';
    // After a refusal the page comes anew: the focus goes where the user types again (the password,
    // or the user name when it is missing), on a field that points at the words of the refusal.
    const focusUser = m.error && !m.username ? ' autofocus' : '';
    const focusPassword = m.error && m.username ? ' autofocus' : '';
    parts.push(
      `<h2 id="account-title">${m.entra.length ? 'Or with an enrollment account' : 'With your enrollment account'}</h2>`,
      `<form method="post" aria-labelledby="account-title">`,
      `<input type="hidden" name="attempt" value="${escapeHtml(m.attempt)}">`,
      `<label for="username">User name</label>`,
      `<input type="text" id="username" name="username" autocomplete="username" required maxlength="256" value="${escapeHtml(m.username ?? '')}"${invalid}${focusUser}>`,
      `<label for="password">Password</label>`,
      `<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${invalid}${focusPassword}>`,
      '<div class="actions"><button type="submit">Sign in</button></div>',
      '</form>',
    );
  }
  if (!m.entra.length && !m.accounts) {
    parts.push('<p role="alert">This server has no way to sign you in yet. Contact your IT department.</p>');
  }
  // A screen reader reads the title first when the page comes anew: it says there is an error.
  return layout(cxhHost, `${m.error ? 'Error: ' : ''}Sign in to enroll this device`, parts.join('\n'));
}

/** The one script of these pages: submits the form that carries wresult (allowed by its hash in the CSP). */
const AUTO_SUBMIT = 'document.forms[0].submit();';
export const AUTO_SUBMIT_HASH = `'sha256-${createHash('sha256').update(AUTO_SUBMIT).digest('base64')}'`;

/** MS-MDE2 §3.2: an HTML form that POSTs `wresult` to exactly the appru Windows gave, submitted at once. */
export function renderPostTokenPage(appru: string, wresult: string, cxhHost?: string): string {
  return layout(
    cxhHost,
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
    cxhHost,
    title,
    `<h1 id="page-title">${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>Close this window and start the enrollment again from Settings. If the problem continues, contact your IT department.</p>`,
  );
}
