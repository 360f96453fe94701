import type { DownloadGrantRecord } from './records.ts';
import type { GrantUse } from './store-port.ts';

/**
 * One download spent from a grant that exists, or why not: the rule both reorder stores apply
 * inside their own atomic write, so SQLite and Mongo refuse the same downloads for the same reason.
 * Revoked wins over expired, expired over used up.
 */
export function spendGrant(grant: DownloadGrantRecord, now: number): GrantUse {
  if (grant.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (now >= grant.expiresAt) return { ok: false, reason: 'expired' };
  if (grant.usesLeft <= 0) return { ok: false, reason: 'used_up' };
  return { ok: true, grant: { ...grant, usesLeft: grant.usesLeft - 1 } };
}
