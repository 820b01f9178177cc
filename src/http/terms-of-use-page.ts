// The terms-of-use pages as HTML and CSS: the page the service decided on
// (service/enrollment/terms-of-use.ts) and the error page, in the Windows host's theme.
// Nothing user-supplied reaches a page unescaped; only the terms body (trusted, admin-supplied
// HTML) is written as it is.
import type { TermsPage } from '../service/enrollment/terms-of-use.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

type Theme = 'dark' | 'light';
function themeFor(cxhHost: string | undefined): Theme {
  return typeof cxhHost === 'string' && cxhHost.trim().toUpperCase() === 'FRX' ? 'dark' : 'light';
}

const PALETTES: Record<Theme, Record<string, string>> = {
  // OOBE (CXH-HOST: FRX)
  dark: {
    scheme: 'dark',
    bg: '#202020',
    fg: '#ffffff',
    muted: '#d6d6d6',
    panel: '#2b2b2b',
    border: '#9a9a9a',
    primaryBg: '#4cc2ff',
    primaryFg: '#000000',
    secondaryBg: '#2d2d2d',
    secondaryFg: '#ffffff',
    focus: '#ffffff',
  },
  // Settings (CXH-HOST: MOSET) and everything else
  light: {
    scheme: 'light',
    bg: '#ffffff',
    fg: '#1b1b1b',
    muted: '#505050',
    panel: '#f7f7f7',
    border: '#767676',
    primaryBg: '#005fb8',
    primaryFg: '#ffffff',
    secondaryBg: '#fbfbfb',
    secondaryFg: '#1b1b1b',
    focus: '#000000',
  },
};

function css(theme: Theme): string {
  const p = PALETTES[theme];
  return `
:root{color-scheme:${p.scheme}}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:${p.bg};color:${p.fg};font-family:"Segoe UI Variable","Segoe UI",system-ui,sans-serif;font-size:15px;line-height:1.5}
main{max-width:44rem;margin:0 auto;padding:2rem 1.5rem}
h1{font-size:1.75rem;font-weight:600;margin:0 0 1rem}
.who{color:${p.muted};margin:0 0 1rem}
.terms{background:${p.panel};border:1px solid ${p.border};border-radius:6px;padding:1rem 1.25rem;max-height:50vh;overflow:auto}
.terms:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;justify-content:flex-end;margin-top:1.5rem}
button{font:inherit;min-width:8rem;min-height:2.5rem;padding:.4rem 1.25rem;border-radius:4px;cursor:pointer}
button.primary{background:${p.primaryBg};color:${p.primaryFg};border:1px solid ${p.primaryBg}}
button.secondary{background:${p.secondaryBg};color:${p.secondaryFg};border:1px solid ${p.border}}
button:focus{outline:3px solid ${p.focus};outline-offset:2px}
button:focus:not(:focus-visible){outline:none}
button:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
@media (forced-colors:active){button,.terms{border:1px solid CanvasText}}
`;
}

/** The terms page the service decided on (service/enrollment/terms-of-use.ts), in the theme of the Windows host. */
export function renderTermsPage(page: TermsPage, cxhHost?: string): string {
  const theme = themeFor(cxhHost);
  const title = escapeHtml(page.title);
  const who = page.upn ? `<p class="who">Signed in as <strong>${escapeHtml(page.upn)}</strong></p>` : '';
  const decline = page.showDecline ? '<button type="submit" class="secondary" name="decision" value="decline">Decline</button>' : '';
  return `<!DOCTYPE html>
<html lang="en" class="theme-${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${css(theme)}</style>
</head>
<body>
<main id="main" aria-labelledby="tou-title">
<h1 id="tou-title">${title}</h1>
${who}
<section class="terms" id="tou-text" role="region" aria-labelledby="tou-title" tabindex="0">
${page.bodyHtml}
</section>
<form method="post" aria-label="Respond to the terms of use">
<input type="hidden" name="state" value="${escapeHtml(page.state)}">
<div class="actions">
${decline}
<button type="submit" class="primary" name="decision" value="accept">Accept</button>
</div>
</form>
</main>
</body>
</html>
`;
}

/** A small accessible HTML page for an `error` outcome (used by the HTTP layer). */
export function renderTermsErrorPage(message: string, cxhHost?: string): string {
  const theme = themeFor(cxhHost);
  return `<!DOCTYPE html>
<html lang="en" class="theme-${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terms of use unavailable</title>
<style>${css(theme)}</style>
</head>
<body>
<main id="main" aria-labelledby="err-title">
<h1 id="err-title">Something went wrong</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>Close this window and start the enrollment again. If the problem continues, contact your IT department.</p>
</main>
</body>
</html>
`;
}
