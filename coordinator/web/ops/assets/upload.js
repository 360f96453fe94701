// Drag-and-drop upload: one request per photo (the API takes one file each), two at a time, each
// with its own progress bar fed by XMLHttpRequest upload progress events.

const form = document.getElementById('upload');
const UPLOAD_CONCURRENCY = 2;
const ACCEPTED_TYPES = new Set(['image/jpeg', 'image/png']);

if (form) {
  const zone = document.getElementById('drop-zone');
  const input = document.getElementById('upload-files');
  const list = document.getElementById('upload-list');
  const summary = document.getElementById('upload-summary');
  const eventSelect = document.getElementById('upload-event');
  const maxBytes = Number(form.dataset.maxBytes);
  const queue = [];
  const counts = { done: 0, duplicate: 0, failed: 0, total: 0 };
  let running = 0;

  const mb = (n) => (n < 1e6 ? `${Math.max(1, Math.round(n / 1e3))} kB` : `${(n / 1e6).toFixed(1)} MB`);

  function updateSummary() {
    const left = counts.total - counts.done - counts.duplicate - counts.failed;
    const parts = [`${counts.done} uploaded`];
    if (counts.duplicate) parts.push(`${counts.duplicate} already there`);
    if (counts.failed) parts.push(`${counts.failed} failed`);
    if (left) parts.push(`${left} to go`);
    summary.textContent = `${parts.join(', ')}.`;
  }

  function itemFor(file) {
    const li = document.createElement('li');
    li.className = 'upload';
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = `${file.name} (${mb(file.size)})`;
    const progress = document.createElement('progress');
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', `Upload of ${file.name}`);
    const status = document.createElement('span');
    status.className = 'upload-status';
    status.textContent = 'Waiting…';
    li.append(name, progress, status);
    list.append(li);
    return { li, progress, status };
  }

  function finish(item, kind, text) {
    item.li.dataset.state = kind;
    item.status.textContent = text;
    counts[kind === 'ok' ? 'done' : kind === 'duplicate' ? 'duplicate' : 'failed']++;
    updateSummary();
  }

  function send(job) {
    running++;
    const { file, item, eventId } = job;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/events/${encodeURIComponent(eventId)}/images`);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      item.progress.value = Math.round((100 * e.loaded) / e.total);
      item.status.textContent = `${item.progress.value} %`;
    });
    xhr.addEventListener('load', () => {
      item.progress.value = 100;
      if (xhr.status === 429) {
        // The coordinator is busy with other uploads: try this one again when it says.
        const seconds = Number(xhr.getResponseHeader('retry-after')) || 3;
        item.status.textContent = `Waiting for the server (${seconds} s)…`;
        setTimeout(() => {
          queue.push(job);
          pump();
        }, seconds * 1000);
        return;
      }
      if (xhr.status === 201) finish(item, 'ok', 'Uploaded');
      else if (xhr.status === 200 && xhr.response?.duplicate) finish(item, 'duplicate', 'Already uploaded, kept once');
      else if (xhr.status === 401) {
        finish(item, 'failed', 'Signed out: sign in again and retry.');
      } else finish(item, 'failed', xhr.response?.error?.message ?? `Failed (${xhr.status}).`);
    });
    xhr.addEventListener('error', () => finish(item, 'failed', 'Network error: check the connection and retry.'));
    xhr.addEventListener('loadend', () => {
      running--;
      pump();
    });
    const body = new FormData();
    body.append('image', file, file.name);
    item.status.textContent = 'Uploading…';
    xhr.send(body);
  }

  function pump() {
    while (running < UPLOAD_CONCURRENCY && queue.length) send(queue.shift());
  }

  function add(files) {
    const eventId = eventSelect.value;
    for (const file of files) {
      counts.total++;
      const item = itemFor(file);
      if (!ACCEPTED_TYPES.has(file.type)) finish(item, 'failed', 'Not a JPEG or PNG photo: skipped.');
      else if (file.size > maxBytes) finish(item, 'failed', `Larger than ${mb(maxBytes)}: skipped.`);
      else queue.push({ file, item, eventId });
    }
    updateSummary();
    pump();
  }

  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    zone.addEventListener(type, () => zone.classList.remove('over'));
  }
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    add([...(e.dataTransfer?.files ?? [])]);
  });
  // A photo dropped beside the zone must not make the browser navigate away from the uploads.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}
