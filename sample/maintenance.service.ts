import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Lock, S3LockService } from 'nestjs-s3-lock';

/** What `POST /maintenance/compact` answers. */
export type CompactResult =
  | { readonly ran: true; readonly replica: string; readonly token: number }
  | { readonly ran: false; readonly heldBy: string };

/** A provider that uses `S3LockService` directly, without the decorator. */
@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger(MaintenanceService.name);

  constructor(private readonly locks: S3LockService) {}

  /** Compacts the (pretend) storage on one replica at a time; tells who holds it otherwise. */
  async compact(replica: string): Promise<CompactResult> {
    const outcome = await this.locks.runExclusive('sample:compact', { expire: 30 }, async (lock) => {
      this.logger.log(`compaction started (fencing token ${lock.token})`);
      await sleep(2000);
      return lock.token;
    });
    if (!outcome.ran) return { ran: false, heldBy: outcome.holder };
    return { ran: true, replica, token: outcome.result };
  }

  /** The lock `key` as S3 holds it now, or `null` when no lock object exists. */
  inspect(key: string): Promise<Lock | null> {
    return this.locks.inspect(key);
  }
}
