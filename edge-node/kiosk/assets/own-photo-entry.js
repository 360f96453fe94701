/**
 * The own-photo enter screen's code and PIN: typed on the touch keypad (the code first, then the
 * PIN, moving on by itself once the code is whole) or on a keyboard, normalised as the job code is
 * (no O or I/L: they read as 0 and 1). "Show my photos" waits for a whole code and PIN.
 */

const CODE_CHARS = 6;
const PIN_DIGITS = 4;

/**
 * @param {object} ui `{ $, touched() }` of the own-photo page
 * @param {object} hooks `{ lookup(code, pin) }`
 */
export function initEntry(ui, hooks) {
  const { $, touched } = ui;
  let active = 'code';

  function setActive(field) {
    active = field;
    for (const f of document.querySelectorAll('.own-field')) {
      if (f.dataset.field === field) f.setAttribute('data-active', '');
      else f.removeAttribute('data-active');
    }
  }

  function clearEntry() {
    $('own-code').value = '';
    $('own-pin').value = '';
    setActive('code');
    refreshSubmit();
  }

  function normalise(text) {
    return text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  }

  function refreshSubmit() {
    const code = normalise($('own-code').value);
    $('enter-submit').disabled = code.length !== CODE_CHARS || !/^\d{4}$/.test($('own-pin').value);
  }

  function press(key) {
    touched();
    const code = $('own-code');
    const pin = $('own-pin');
    if (key === 'Backspace') {
      if (active === 'pin' && pin.value === '') setActive('code');
      const field = active === 'pin' ? pin : code;
      field.value = field.value.slice(0, -1);
    } else if (active === 'code') {
      code.value = normalise(code.value + key).slice(0, CODE_CHARS);
      if (code.value.length === CODE_CHARS) setActive('pin');
    } else if (/^\d$/.test(key) && pin.value.length < PIN_DIGITS) {
      pin.value += key;
    }
    refreshSubmit();
  }

  for (const key of document.querySelectorAll('#own-keypad .key')) {
    key.addEventListener('click', () => press(key.dataset.key));
  }
  for (const f of document.querySelectorAll('.own-field')) {
    f.addEventListener('click', () => setActive(f.dataset.field));
  }
  $('own-code').addEventListener('input', () => {
    $('own-code').value = normalise($('own-code').value).slice(0, CODE_CHARS);
    refreshSubmit();
  });
  $('own-pin').addEventListener('input', () => {
    $('own-pin').value = $('own-pin').value.replace(/\D/g, '').slice(0, PIN_DIGITS);
    refreshSubmit();
  });
  $('enter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void hooks.lookup(normalise($('own-code').value), $('own-pin').value);
  });

  return { setActive, clearEntry, refreshSubmit };
}
