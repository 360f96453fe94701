import jsQR from './jsqr.js';

/** Frames are decoded this often; jsQR on a 640-pixel frame takes tens of milliseconds on a kiosk PC. */
export const CAMERA_SCAN_INTERVAL_MS = 150;
/** Frames are scaled down to this width before decoding: enough for a phone-screen QR code, and fast. */
export const CAMERA_SCAN_WIDTH_PX = 640;

/**
 * Reads QR codes from the kiosk camera with getUserMedia and jsQR, entirely in the page. The stream
 * stays open (reopening a camera takes seconds); frames are decoded only while `accepting()` says the
 * current screen takes a scan. Resolves with a stop function; rejects when there is no camera.
 */
export async function startCameraScanner(video, onCode, accepting) {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser has no camera access');
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'user' },
  });
  video.srcObject = stream;
  await video.play().catch(() => {});
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let timer = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    try {
      if (accepting() && video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth > 0) {
        const scale = Math.min(1, CAMERA_SCAN_WIDTH_PX / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        // Phone screens show dark modules on light; inverted codes are rare, and trying both halves the rate.
        const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'dontInvert' });
        if (found?.data) onCode(found.data);
      }
    } finally {
      timer = setTimeout(tick, CAMERA_SCAN_INTERVAL_MS);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
  };
}
