import { fileURLToPath } from 'node:url';

/** A static file the kiosk pages load, as the asset routes serve it. */
export interface KioskAsset {
  file: string;
  type: string;
  /** A UMD bundle wrapped so the page can import it as a module (jsQR). */
  wrapUmd?: boolean;
}

const TYPE_BY_EXTENSION: Readonly<Record<string, string>> = { js: 'text/javascript', css: 'text/css' };

/** One of the files in ./assets, its content type from its extension. */
export function bundledAsset(name: string): KioskAsset {
  const type = TYPE_BY_EXTENSION[name.slice(name.lastIndexOf('.') + 1)];
  if (!type) throw new Error(`kiosk asset ${name}: no content type for its extension`);
  return { file: fileURLToPath(new URL(`./assets/${name}`, import.meta.url)), type };
}

/** A name → asset map of files in ./assets. */
export function bundledAssets(...names: string[]): Record<string, KioskAsset> {
  return Object.fromEntries(names.map((name) => [name, bundledAsset(name)]));
}
