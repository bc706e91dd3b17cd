import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { CustomerService } from '@app/customer-domain';
import { type DatabaseHandle, PersistenceModule } from '@app/persistence';
import { LoggerModule } from 'nestjs-pino';

import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyMiddleware } from './auth/api-key.middleware';
import { ApiKeyRegistry } from './auth/api-keys';
import { GatewayConfigModule } from './config/config.module';
import { type GatewayConfig } from './config/gateway.config';
import { CustomersController } from './customers/customers.controller';
import { ProblemFilter } from './errors/problem.filter';
import { HealthController } from './health/health.controller';
import { ContentTypeMiddleware } from './http/content-type.middleware';
import { loggerParams } from './http/logging';
import { validationFailed } from './http/validators';
import { IdempotencyMiddleware } from './idempotency/idempotency.middleware';
import { IdempotencyStore } from './idempotency/idempotency.store';

export interface GatewayOptions {
  config: GatewayConfig;
  apiKeys: ApiKeyRegistry;
  openDatabase: () => Promise<DatabaseHandle>;
}

/** The composition root of the HTTP gateway. */
@Module({})
export class GatewayModule implements NestModule {
  static register(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GatewayConfigModule.register(options.config),
        LoggerModule.forRoot(loggerParams(options.config.LOG_LEVEL)),
        PersistenceModule.forRoot(options.openDatabase),
      ],
      controllers: [CustomersController, HealthController],
      providers: [
        { provide: ApiKeyRegistry, useValue: options.apiKeys },
        CustomerService,
        IdempotencyStore,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            exceptionFactory: validationFailed,
          }),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Order matters: refuse bodies we cannot read, identify the caller, then claim its Idempotency-Key.
    consumer.apply(ContentTypeMiddleware, ApiKeyMiddleware, IdempotencyMiddleware).forRoutes('{*path}');
  }
}
