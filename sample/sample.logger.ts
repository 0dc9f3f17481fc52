import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's console logger with a short time instead of the process id and full date, so each
 * replica's lines stay readable side by side (`npm run sample` prefixes them with the replica).
 */
export class SampleLogger extends ConsoleLogger {
  protected override formatPid(): string {
    return '';
  }

  protected override getTimestamp(): string {
    return new Date().toISOString().slice(11, 23);
  }
}
