// fenestra console, device page: keeps "signed in now" and the sign-in history current without a
// reload. Every few seconds, while the tab is visible and someone used the page recently, it asks
// the server for the live fragment (data-live) and swaps in each [data-part] whose markup changed;
// the containers stay, so the polite live region announces the new user. Stops for good when the
// session has ended (the server answers with a redirect or an error).
'use strict';
(() => {
  const root = document.querySelector('[data-live]');
  if (!root) return;
  const url = root.getAttribute('data-live');
  const every = Math.max(1000, Number(root.getAttribute('data-interval')) || 5000);
  // Polling alone must not keep a console session alive forever: it pauses after 20 idle minutes.
  const IDLE_MS = 20 * 60 * 1000;
  let lastUse = Date.now();
  for (const type of ['keydown', 'pointerdown', 'scroll']) document.addEventListener(type, () => (lastUse = Date.now()), { passive: true });
  let busy = false;
  let timer = 0;
  async function refresh() {
    if (busy || document.hidden || Date.now() - lastUse > IDLE_MS) return;
    busy = true;
    try {
      const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' }, redirect: 'manual', cache: 'no-store' });
      if (res.status !== 200) {
        window.clearInterval(timer);
        return;
      }
      const tpl = document.createElement('template');
      tpl.innerHTML = await res.text();
      for (const part of tpl.content.querySelectorAll('[data-part]')) {
        const here = root.querySelector(`[data-part="${part.getAttribute('data-part')}"]`);
        if (here && here.innerHTML !== part.innerHTML) here.replaceChildren(...part.childNodes);
      }
    } catch {
      // The network failed once: the next round tries again.
    } finally {
      busy = false;
    }
  }
  timer = window.setInterval(refresh, every);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
})();
