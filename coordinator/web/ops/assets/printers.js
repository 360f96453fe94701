import { api, clearErrors, showError, showMessage } from './common.js';

const form = document.getElementById('pair');
const qrInput = document.getElementById('pair-qr');
const qrStatus = document.getElementById('pair-qr-status');
/** Camera photos are large; QR finding works as well on a smaller copy and much faster. */
const QR_MAX_SIDE_PX = 1600;
const PAIRING_KEY = /[0-9a-f]{64}/i;

/** jsQR is loaded only when someone actually reads a QR photo. */
let jsQrLoading = null;
function loadJsQr() {
  jsQrLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/ops/assets/jsQR.js';
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => reject(new Error('could not load the QR reader'));
    document.head.append(script);
  });
  return jsQrLoading;
}

async function decodeQr(file) {
  const jsQR = await loadJsQr();
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, QR_MAX_SIDE_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return jsQR(pixels.data, canvas.width, canvas.height)?.data ?? null;
}

qrInput?.addEventListener('change', async () => {
  const file = qrInput.files?.[0];
  if (!file) return;
  showMessage(qrStatus, 'Reading the QR code…');
  try {
    const text = await decodeQr(file);
    const key = text?.match(PAIRING_KEY)?.[0];
    if (!key) {
      showMessage(
        qrStatus,
        'No pairing code found in that photo: try a sharper, closer one, or type the code.',
        'error',
      );
      return;
    }
    form.elements.publicKey.value = key.toLowerCase();
    showMessage(qrStatus, 'Pairing code read from the photo.');
    form.elements.name.focus();
  } catch (err) {
    showMessage(qrStatus, `Could not read the photo (${err.message}); type the code instead.`, 'error');
  }
});

form?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(form);
  const f = form.elements;
  const fields = { publicKey: f.publicKey, name: f.name };
  try {
    const cardReaderId = f.cardReaderId?.value.trim();
    await api('POST', `/api/venues/${encodeURIComponent(f.venueId.value)}/printers`, {
      publicKey: f.publicKey.value.replace(/\s+/g, '').toLowerCase(),
      name: f.name.value,
      ...(cardReaderId ? { cardReaderId } : {}),
    });
    location.reload();
  } catch (err) {
    showError(form, err, { ...fields, cardReaderId: f.cardReaderId });
  }
});

for (const button of document.querySelectorAll('[data-revoke-printer]')) {
  button.addEventListener('click', async () => {
    const name = button.dataset.name;
    if (!confirm(`Revoke ${name}? It stops printing at once and cannot rejoin with the same key.`)) return;
    try {
      await api('POST', `/api/printers/${encodeURIComponent(button.dataset.revokePrinter)}/revoke`);
      location.reload();
    } catch (err) {
      showMessage(document.getElementById('printers-message'), err.message, 'error');
    }
  });
}

// A station's card reader: assigned, changed, or (empty) removed; a reader another printer has is refused.
for (const readerForm of document.querySelectorAll('[data-card-reader-form]')) {
  readerForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = readerForm.elements.cardReaderId.value.trim();
    try {
      await api('PUT', `/api/printers/${encodeURIComponent(readerForm.dataset.cardReaderForm)}/card-reader`, {
        cardReaderId: value || null,
      });
      location.reload();
    } catch (err) {
      showMessage(document.getElementById('printers-message'), err.message, 'error');
    }
  });
}
