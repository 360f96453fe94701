/** One place that turns printer configuration into the matching adapter. */
import type { EscPosPrinterOptions } from './escpos-printer.ts';
import { FilePrinter } from './file-printer.ts';
import type { PrinterPort } from './port.ts';
import { TcpPrinter } from './tcp-printer.ts';
import { UsbPrinter } from './usb-printer.ts';

export type PrinterConfig =
  | { kind: 'tcp'; host: string; port?: number; widthDots?: number }
  | { kind: 'usb'; devicePath: string; widthDots?: number }
  | { kind: 'file'; dir: string; widthDots?: number; secondsPerPrint?: number };

export function createPrinter(config: PrinterConfig, options: EscPosPrinterOptions = {}): PrinterPort {
  switch (config.kind) {
    case 'tcp':
      return new TcpPrinter({ ...options, host: config.host, port: config.port, widthDots: config.widthDots });
    case 'usb':
      return new UsbPrinter({ ...options, devicePath: config.devicePath, widthDots: config.widthDots });
    case 'file':
      return new FilePrinter({
        ...options,
        dir: config.dir,
        widthDots: config.widthDots,
        secondsPerPrint: config.secondsPerPrint,
      });
  }
}
