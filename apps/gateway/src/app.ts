import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';

import { ApiKeyRegistry } from './auth/api-keys';
import { setUpDocs } from './docs/openapi';
import { type GatewayOptions, GatewayModule } from './gateway.module';
import { installHttpEdge } from './http/edge';
import { gatewayAdapter } from './http/platform';
import { RequestLog } from './http/request-log';
import { applyServerLimits } from './http/server-limits';
import { IdempotencyGate } from './idempotency/idempotency-gate';
import { HttpMetrics } from './metrics/http-metrics';
import { QuietStartUpLogger } from './nest-logger';

/** Builds the gateway as main.ts runs it; tests build it the same way, only with other options. */
export async function createGatewayApp(options: GatewayOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.register(options),
    gatewayAdapter(options.config),
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(new QuietStartUpLogger(app.get(Logger)));
  applyServerLimits(app.getHttpServer(), options.config);
  installHttpEdge(app.getHttpAdapter().getInstance(), {
    keys: app.get(ApiKeyRegistry),
    idempotency: app.get(IdempotencyGate),
    metrics: app.get(HttpMetrics),
    requestLog: app.get(RequestLog),
  });
  // process.exit (not a re-raised signal) lets the logger flush its last lines.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  setUpDocs(app);
  return app;
}
