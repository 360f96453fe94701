import { MAX_CONDITIONAL_ATTEMPTS } from './mongo-orders.ts';
import { isDuplicateKeyError } from './mongo-queries.ts';
import { storeConflict } from './port.ts';

/**
 * The MongoDB adapter's answers to a duplicate-key error: the unique indexes (mongo-collections.ts)
 * are where the port's uniqueness rules live, so each write says what a duplicate means for it.
 */

/** Runs an insert, turning a duplicate-key refusal into a `store_conflict` AppError. */
export async function insertUnique(what: string, insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if (isDuplicateKeyError(err)) throw storeConflict(what);
    throw err;
  }
}

/** Runs an insert; false, not an error, when the key is there already (idempotent records). */
export async function insertIfAbsent(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

/**
 * Runs an upsert by _id. Two racing upserts can both miss and both insert; the loser gets a
 * duplicate-key error and, tried again, updates the winner's document as it should.
 */
export async function upsertRetried(write: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (err) {
      if (!isDuplicateKeyError(err) || attempt >= MAX_CONDITIONAL_ATTEMPTS) throw err;
    }
  }
}
