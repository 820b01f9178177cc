// fenestra console, Apps: uploads a package. A form[data-upload] names the admin API route that
// takes the raw package as the request body; on submit this script sends the chosen File there
// with fetch() (the browser streams it from disk: no form encoding, nothing buffered by the page),
// with the session's CSRF token in the x-csrf-token header. Success: to the app's page, which says
// what was read from the package. Refusal: the server's message on the file field, as the
// server-rendered forms show theirs. Without this script the form posts to a console action that
// explains the upload needs it.
'use strict';
(() => {
  for (const form of document.querySelectorAll('form[data-upload]')) {
    const input = form.querySelector('input[type="file"]');
    const button = form.querySelector('button[type="submit"]');
    const status = form.querySelector('[data-upload-status]');
    const csrf = form.querySelector('input[name="_csrf"]');
    if (!input || !button || !status || !csrf) continue;
    const field = input.closest('.field');
    const errorId = `${input.id}-error`;
    const hintIds = (input.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== errorId);
    const showError = (message) => {
      let p = document.getElementById(errorId);
      if (!p) {
        p = document.createElement('p');
        p.className = 'error';
        p.id = errorId;
        input.after(p);
      }
      p.textContent = message;
      if (field) field.classList.add('has-error');
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [...hintIds, errorId].join(' '));
      status.textContent = '';
      button.disabled = false;
      input.focus();
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const file = input.files && input.files[0];
      if (!file) {
        showError(form.dataset.noFile || '');
        return;
      }
      button.disabled = true;
      status.textContent = (form.dataset.uploading || '').replace('{name}', file.name);
      try {
        const url = `${form.dataset.upload}?fileName=${encodeURIComponent(file.name)}`;
        const res = await fetch(url, {
          method: 'POST',
          body: file,
          credentials: 'same-origin',
          headers: { 'content-type': 'application/octet-stream', 'x-csrf-token': csrf.value, accept: 'application/json' },
        });
        const body = await res.json().catch(() => undefined);
        if (res.ok && body && body.app && body.version) {
          const same = res.status === 200 ? '&same=1' : '';
          window.location.assign(`/console/apps/${encodeURIComponent(body.app.id)}?added=${encodeURIComponent(body.version.id)}${same}`);
          return;
        }
        const reason = (body && body.error && body.error.message) || `HTTP ${res.status}`;
        showError((form.dataset.failed || '{reason}').replace('{reason}', reason));
      } catch (err) {
        showError((form.dataset.failed || '{reason}').replace('{reason}', err instanceof Error ? err.message : String(err)));
      }
    });
  }
})();
