import { type Principal } from '../auth/api-keys';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by ApiKeyMiddleware when the request carries a valid API key. */
    principal?: Principal;
  }
}
