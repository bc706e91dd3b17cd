import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { requestIdFor } from '@app/config';
import { traceIncomingRequests, tracingActive } from '@app/telemetry';
import { Logger } from 'nestjs-pino';

import { setUpDocs } from './docs/openapi';
import { type GatewayOptions, GatewayModule } from './gateway.module';
import { RequestLog } from './http/request-log';
import { applyServerLimits } from './http/server-limits';
import { HttpMetrics } from './metrics/http-metrics';
import { QuietStartUpLogger } from './nest-logger';

/** Builds the gateway as main.ts runs it; tests build it the same way, only with other options. */
export async function createGatewayApp(options: GatewayOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.register(options), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(new QuietStartUpLogger(app.get(Logger)));
  app.disable('x-powered-by');
  // A customer carries its own strong ETag (its version, for If-Match and If-None-Match); Express's
  // own, a SHA-1 of every other body, cost each list page a hash and told a client nothing.
  app.set('etag', false);
  applyServerLimits(app.getHttpServer(), options.config);
  // First of all with tracing on: the request's span (a child of the caller's `traceparent`) is
  // the active one for everything the request runs, refusals included.
  if (tracingActive()) app.use(traceIncomingRequests);
  // Before anything else, so that every request, even one refused at the first step (a body
  // refused with 413 or 415, a route refused by a guard), is answered with a request id, counted,
  // timed and logged. The body is read and checked for hostile input by Nest middleware once the
  // caller is identified (GatewayModule.configure).
  const metrics = app.get(HttpMetrics);
  const requestLog = app.get(RequestLog);
  app.use((req: IncomingMessage & { id?: string }, res: ServerResponse, next: () => void) => {
    const started = performance.now();
    req.id = requestIdFor(req, res);
    res.once('finish', () => {
      metrics.record(req, res, started);
      requestLog.record(req, res, started);
    });
    next();
  });
  // process.exit (not a re-raised signal) lets the logger flush its last lines.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  setUpDocs(app);
  return app;
}
