// fenestra console: small enhancements; every page works without them.
// - form[data-confirm]: asks before submitting (the server still asks for typed confirmation where it must).
// - button[data-copy="<element id>"]: copies that element's text to the clipboard.
'use strict';
document.addEventListener('submit', (e) => {
  const form = e.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) e.preventDefault();
});
document.addEventListener('click', (e) => {
  const button = e.target instanceof Element ? e.target.closest('button[data-copy]') : null;
  if (!button) return;
  const source = document.getElementById(button.dataset.copy || '');
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const done = button.dataset.copied;
    if (done) button.textContent = done;
  });
});
