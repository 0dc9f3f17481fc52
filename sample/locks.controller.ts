import { Controller, Get, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { type Lock } from 'nestjs-s3-lock';
import { type CompactResult, MaintenanceService } from './maintenance.service.js';
import { type SampleConfig } from './sample.config.js';
import { SAMPLE_CONFIG } from './sample.constants.js';

/** Lock state over HTTP: `GET /locks/sample:report`, and a job started by hand. */
@Controller()
export class LocksController {
  constructor(
    private readonly maintenance: MaintenanceService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  /** The lock as S3 holds it: owner (`null` once released), fencing token, lock time, expiry. */
  @Get('locks/:key')
  async lock(@Param('key') key: string): Promise<Lock> {
    const lock = await this.maintenance.inspect(key);
    if (!lock) throw new NotFoundException(`No lock object for "${key}".`);
    return lock;
  }

  /** Runs the compaction here unless another replica is running it. */
  @Post('maintenance/compact')
  compact(): Promise<CompactResult> {
    return this.maintenance.compact(this.config.replica);
  }
}
