/**
 * A print's template as the order carries it (issue #14). The fee is frozen when the fan is quoted
 * and stated on the order (uses counted then, rates, the line the receipt prints), so a price never
 * changes after the fan saw it. Printers need only `UnitTemplate`: which template and which photos.
 */
import type { TemplateFeeQuote } from '../policy/template-fees.ts';

/** What a printer needs to print a unit framed: the template and the photos of windows 2…n. */
export interface UnitTemplate {
  templateId: string;
  /** Photos for windows 2…n; window 1 holds the item's own photo. */
  moreImageIds: string[];
  /** The fan's caption for a caption text field. */
  caption: string | null;
}

export interface OrderItemTemplate extends UnitTemplate {
  name: string;
  /** Per print, in the order's currency; each copy is one use. */
  fee: TemplateFeeQuote;
  /** "Gold frame: €2.00 × 0.8 (popular) × 0.9 (regular customer) = €1.44" */
  feeLine: string;
}

export function unitTemplateOf(t: UnitTemplate): UnitTemplate {
  return { templateId: t.templateId, moreImageIds: [...t.moreImageIds], caption: t.caption };
}
