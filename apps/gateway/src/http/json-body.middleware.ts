import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { type GatewayConfig } from '@app/config';
import { json } from 'body-parser';
import { type NextFunction, type Request, type Response } from 'express';
import { type IncomingMessage } from 'node:http';

import { GATEWAY_CONFIG } from '../config/config.module';
import { JSON_BODY_TYPES } from './content-type.middleware';
import { verifyBodyEncoding } from './hostile-input';

/**
 * The JSON body parser (Express's own, https://github.com/expressjs/body-parser#bodyparserjsonoptions),
 * run as a Nest middleware once the caller is identified rather than as an Express middleware in
 * front of Nest: a body it refuses (malformed JSON, 413, bytes that are not UTF-8) is then logged
 * like any other request, with its request id and the key id that sent it. body-parser hands the
 * parsed body on in the request's async context, so the request context survives the read.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: ReturnType<typeof json>;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.parse = json({ limit: config.BODY_LIMIT, type: JSON_BODY_TYPES, verify: keepRawWhereSigned });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    this.parse(req, res, next);
  }
}

/** Routes whose requests are authenticated by a signature over the exact bytes received. */
const SIGNED_BODY_PATHS = '/v1/provider-webhooks/';
const RAW_BODY = Symbol('rawBody');

/** The body parser's `verify` hook: checks the encoding, and keeps the bytes a signature covers. */
function keepRawWhereSigned(
  req: IncomingMessage & { [RAW_BODY]?: Buffer },
  res: unknown,
  body: Buffer,
  encoding: string,
): void {
  verifyBodyEncoding(req, res, body, encoding);
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  if (url.startsWith(SIGNED_BODY_PATHS)) req[RAW_BODY] = body;
}

/** The bytes of a signed request's body as received (provider webhooks only). */
export function rawBodyOf(req: IncomingMessage): Buffer | undefined {
  return (req as IncomingMessage & { [RAW_BODY]?: Buffer })[RAW_BODY];
}
