/** Types of kiosk-words.js (the browser runs the .js as is; tests import it through these). */
import type { RedemptionProgress, UnitProgress } from '../../jobs/redemption-progress.ts';

export declare const ORDER_CODE_CHARS: number;
export declare function normalizeTypedCode(input: string): string | null;
export declare function canSubmitCode(input: string): boolean;
export declare function typedCount(input: string): string;
export declare function unitStateLabel(unit: Pick<UnitProgress, 'state' | 'source'>): string;
export declare function unitNote(unit: Pick<UnitProgress, 'state' | 'source' | 'tray' | 'detail'>): string;
export declare function thumbPlaceholder(unit: Pick<UnitProgress, 'unit'>): { number: string; label: string };
export declare function progressHeadline(progress: Pick<RedemptionProgress, 'units' | 'done' | 'error'>): {
  outcome: 'done' | 'incomplete' | null;
  title: string;
  lead: string;
};
export declare function printerBanner(title: string, total: number): string;
export declare function saleIncompleteLead(channel: 'kiosk-card' | 'kiosk-phone'): string;
