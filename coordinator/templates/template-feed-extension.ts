import type { Logger } from 'pino';
import type { EventFeed } from '../feed/event-feeds.ts';
import type { FeedExtension } from '../feed/feed-appender.ts';
import type { Store } from '../store/port.ts';
import { eventDate } from './template-service.ts';
import { type TemplateStore, templateStoreFor } from './template-store.ts';

/**
 * Puts templates on their event's feed (issue #14) under the feed appender's lease, like photos:
 * the frame blob once, then the catalog entry of each new version. A version is marked as on the
 * feed only after the catalog has it, so a crash in between puts it again (same key: harmless).
 */
export function templateFeedExtension(store: Store, logger?: Pick<Logger, 'info'>): FeedExtension {
  const templates: TemplateStore = templateStoreFor(store);
  return {
    eventsWithPending: () => templates.eventsWithPending(),
    async appendPending(eventId: string, feed: EventFeed): Promise<boolean> {
      let appended = false;
      const event = await store.getEvent(eventId);
      if (!event) return false;
      for (const t of await templates.list(eventId)) {
        if (t.feedVersion >= t.version) continue;
        const frame = t.frame ? await templates.getFrame(t.id) : null;
        // The frame is written before the record; a record without it is an upload cut short.
        if (t.frame && !frame) continue;
        const entry = await feed.putTemplate(frame, t.frame ? t.feedBlob : null, (blob) => ({
          templateId: t.id,
          name: t.name,
          version: t.version,
          layout: t.layout,
          eventName: event.name,
          eventDate: eventDate(event),
          frame: t.frame && blob ? { ...t.frame, blob } : null,
          registeredAt: t.createdAt,
        }));
        // Only the feed fields change: the operator may have adjusted the layout meanwhile.
        const current = (await templates.get(t.id)) ?? t;
        await templates.put({
          ...current,
          feedVersion: Math.max(current.feedVersion, entry.version),
          feedBlob: entry.frame?.blob ?? current.feedBlob,
        });
        logger?.info({ eventId, templateId: t.id, version: entry.version }, 'template put on the event feed');
        appended = true;
      }
      return appended;
    },
  };
}
