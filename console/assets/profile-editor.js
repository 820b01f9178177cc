// fenestra console, profile editor: the form works without this script (every oneOf branch shown,
// a fixed number of empty rows per list). With it: only the chosen branch of a oneOf is shown
// (the others are hidden and disabled, so they are not posted), and lists get "Add" and "Remove"
// buttons. Rows are cloned from the list's <template>, whose names carry a placeholder for the
// row's index (data-placeholder) and number (data-number).
'use strict';
(() => {
  function branches(scope) {
    for (const select of scope.querySelectorAll('select')) {
      const sets = document.querySelectorAll(`fieldset[data-branch-of="${select.id}"]`);
      if (sets.length === 0) continue;
      const show = () => {
        for (const set of sets) {
          const on = set.getAttribute('data-branch') === select.value;
          set.hidden = !on || set.querySelector('input, select, textarea') === null;
          set.disabled = !on;
        }
      };
      select.addEventListener('change', show);
      show();
    }
  }

  function removeButton(list, row, label) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary remove-row';
    b.textContent = list.getAttribute('data-remove-text') || 'Remove';
    if (label) b.setAttribute('aria-label', `${b.textContent}: ${label}`);
    b.addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      const focus = next && next.querySelector('input, select, textarea, button');
      if (focus) focus.focus();
    });
    row.append(b);
  }

  function rowLabel(row) {
    const l = row.querySelector('label, legend');
    return l ? l.textContent.trim() : '';
  }

  function lists(scope) {
    for (const set of scope.querySelectorAll('fieldset[data-array]')) {
      if (set.hasAttribute('data-ready')) continue;
      set.setAttribute('data-ready', '');
      const list = set.querySelector(':scope > ol.rows');
      const tpl = set.querySelector(':scope > template');
      if (!list || !tpl) continue;
      list.setAttribute('data-remove-text', tpl.getAttribute('data-remove') || 'Remove');
      for (const row of list.querySelectorAll(':scope > li.row')) removeButton(list, row, rowLabel(row));
      const add = document.createElement('button');
      add.type = 'button';
      add.className = 'secondary add-row';
      add.textContent = tpl.getAttribute('data-add') || 'Add';
      let next = Number(tpl.getAttribute('data-next')) || list.children.length;
      add.addEventListener('click', () => {
        const i = next++;
        const markup = tpl.innerHTML
          .split(tpl.getAttribute('data-placeholder'))
          .join(String(i))
          .split(tpl.getAttribute('data-number'))
          .join(String(i + 1));
        const holder = document.createElement('template');
        holder.innerHTML = markup;
        const row = holder.content.firstElementChild;
        list.append(holder.content);
        removeButton(list, row, rowLabel(row));
        branches(row);
        lists(row);
        const focus = row.querySelector('input, select, textarea');
        if (focus) focus.focus();
      });
      set.append(add);
    }
  }

  const form = document.querySelector('form[data-profile-editor]');
  if (!form) return;
  branches(form);
  lists(form);
})();
