import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { requestIdFor } from '@app/config';
import { Logger } from 'nestjs-pino';

import { setUpDocs } from './docs/openapi';
import { type GatewayOptions, GatewayModule } from './gateway.module';
import { JSON_BODY_TYPES } from './http/content-type.middleware';
import { refuseHostileInput, verifyBodyEncoding } from './http/hostile-input';
import { applyServerLimits } from './http/server-limits';
import { HttpMetrics } from './metrics/http-metrics';

/** Builds the gateway as main.ts runs it; tests build it the same way, only with other options. */
export async function createGatewayApp(options: GatewayOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.register(options), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  applyServerLimits(app.getHttpServer(), options.config);
  // The request id comes first, so that even a body the parser refuses is answered with one.
  app.use((req: IncomingMessage & { id?: string }, res: ServerResponse, next: () => void) => {
    req.id = requestIdFor(req, res);
    next();
  });
  // Before the body parser, so a body it refuses (413, 415) is counted and timed too.
  app.use(app.get(HttpMetrics).middleware);
  // Nest's option type leaves out body-parser's `verify`, which it passes through all the same.
  const jsonParserOptions = {
    limit: options.config.BODY_LIMIT,
    type: JSON_BODY_TYPES,
    verify: verifyBodyEncoding,
  };
  app.useBodyParser('json', jsonParserOptions);
  // Before anything else reads the request: nothing past this point sees input we cannot store.
  app.use(refuseHostileInput);
  // process.exit (not a re-raised signal) lets the logger flush its last lines.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  setUpDocs(app);
  return app;
}
