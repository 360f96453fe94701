import QRCode from 'qrcode';

/**
 * Redemption QR codes. The token is pure Base45, so the whole code is one alphanumeric-mode
 * segment (5.5 bits a character): the smallest symbol for the payload. Level M survives a
 * cracked phone screen or glare without growing the code much.
 */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
export const QR_PNG_SCALE_PIXELS_PER_MODULE = 8;

export async function qrPng(token: string): Promise<Buffer> {
  return QRCode.toBuffer([{ data: token, mode: 'alphanumeric' }], {
    ...QR_OPTIONS,
    type: 'png',
    scale: QR_PNG_SCALE_PIXELS_PER_MODULE,
  });
}

export async function qrSvg(token: string): Promise<string> {
  return QRCode.toString([{ data: token, mode: 'alphanumeric' }], { ...QR_OPTIONS, type: 'svg' });
}
