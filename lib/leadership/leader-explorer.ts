import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { WhileLeaderMetadata } from '../decorators/while-leader.decorator.js';
import type { S3LockModuleOptions } from '../interfaces/s3-lock-module-options.interface.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, S3_LOCK_LEADER_METADATA, S3_LOCK_LOGGER_CONTEXT } from '../s3-lock.internal-constants.js';
import { S3_LOCK_OPTIONS } from '../s3-lock.module-definition.js';
import { S3LockService } from '../s3-lock.service.js';

/**
 * Finds the `@WhileLeader` methods of the application's providers once it has bootstrapped, and
 * starts one leadership for each (the service stops them at shutdown). Internal.
 */
@Injectable()
export class S3LockLeaderExplorer implements OnApplicationBootstrap {
  private readonly logger = new Logger(S3_LOCK_LOGGER_CONTEXT);

  constructor(
    @Inject(S3LockService) private readonly service: S3LockService,
    @Inject(S3_LOCK_OPTIONS) private readonly options: S3LockModuleOptions,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
  ) {}

  /** Starts a leadership for every `@WhileLeader` method. */
  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[name];
        const metadata = typeof method === 'function'
          ? (Reflect.getMetadata(S3_LOCK_LEADER_METADATA, method) as WhileLeaderMetadata | undefined)
          : undefined;
        if (metadata) this.start(instance, `${instance.constructor.name}.${name}`, method as (...args: unknown[]) => unknown, metadata);
      }
    }
  }

  private start(instance: object, where: string, method: (...args: unknown[]) => unknown, metadata: WhileLeaderMetadata): void {
    this.logger.debug(`${where} competes for the leadership of "${metadata.key}".`);
    this.service.lead(metadata.key, {
      stopTimeoutMs: (this.options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS) * 1000,
      ...metadata.options,
      onElected: (term) => method.call(instance, term),
    });
  }
}
