import { Injectable, NestMiddleware } from '@nestjs/common';
import { type NextFunction, type Request, type Response } from 'express';

import { HttpError } from '../errors/http-error';

/** Body types the JSON parser reads; merge-patch is what PATCH bodies are (RFC 7396). */
export const JSON_BODY_TYPES = ['application/json', 'application/merge-patch+json'];

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The body parser silently ignores bodies it does not understand, which would turn a form post
 * into an empty update. A body of any other type is refused with 415 instead.
 */
@Injectable()
export class ContentTypeMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (hasBody(req)) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!JSON_BODY_TYPES.includes(type)) {
        throw new HttpError('unsupported_media_type', `Send the body as ${JSON_BODY_TYPES.join(' or ')}.`);
      }
    }
    next();
  }
}
