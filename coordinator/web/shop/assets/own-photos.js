// "Print your own photos": local times, and a clear "uploading" state while a phone sends its
// photos (twenty full-size photos take a while on venue Wi-Fi; a second tap would send them twice).
import { $, localizeTimes } from './common.js';

localizeTimes();

const form = $('#own-upload');
form?.addEventListener('submit', () => {
  const button = $('#own-submit');
  button.disabled = true;
  button.textContent = 'Uploading… keep this page open';
});
