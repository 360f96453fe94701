import { createHmac } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../../shared/config/config-error.ts';
import { ensurePrivateFile } from '../../shared/fs/private-files.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Random } from '../../shared/ports/random.ts';
import type { CoordinatorConfig } from '../config.ts';
import { HotFolderLab } from '../lab/hot-folder-lab.ts';
import type { LabPort } from '../lab/port.ts';
import { TestLab } from '../lab/test-lab.ts';
import { type AfterEventDeps, DAY_MS } from './deps.ts';
import { MongoReorderStore } from './mongo-reorder-store.ts';
import { SqliteReorderStore } from './sqlite-reorder-store.ts';

/** The download-link key, derived from the session secret so every instance signs alike. */
export function downloadSecretFrom(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update('vpm download links v1').digest('hex');
}

/**
 * Builds the after-event part from the configuration, or null when no lab is configured. Reorders
 * live next to the main store: in MongoDB when it is the store, else in reorders.sqlite in the data dir.
 */
export async function composeAfterEvent(opts: {
  config: CoordinatorConfig;
  dataDir: string;
  sessionSecret: string;
  clock: Clock;
  random: Random;
  logger: Logger;
}): Promise<(AfterEventDeps & { store: SqliteReorderStore | MongoReorderStore }) | null> {
  const { config } = opts;
  if (config.lab === 'none') return null;
  let lab: LabPort;
  if (config.lab === 'hot-folder') {
    if (!config.labHotFolder)
      throw new ConfigError('VPM_LAB=hot-folder needs VPM_LAB_HOT_FOLDER (the lab drop folder)');
    lab = new HotFolderLab({
      root: resolve(config.labHotFolder),
      random: opts.random,
      logger: opts.logger.child({ part: 'lab' }),
    });
  } else {
    lab = new TestLab({ clock: opts.clock, mode: 'auto' });
  }
  let store: SqliteReorderStore | MongoReorderStore;
  if (config.mongodbUri) {
    // Shared by every coordinator instance on the database, like the main store.
    store = new MongoReorderStore({ uri: config.mongodbUri });
  } else {
    const path = join(opts.dataDir, 'reorders.sqlite');
    await ensurePrivateFile(path);
    store = new SqliteReorderStore({ path });
  }
  return {
    store,
    reorders: store,
    lab,
    config: {
      defaultReorderWindowDays: config.reorderWindowDays,
      downloadWindowMs: config.downloadWindowDays * DAY_MS,
      downloadMaxUses: config.downloadMaxUses,
      unsoldRetentionMs: config.unsoldRetentionDays * DAY_MS,
      addressRetentionMs: config.addressRetentionDays * DAY_MS,
      downloadSecret: downloadSecretFrom(opts.sessionSecret),
    },
  };
}
