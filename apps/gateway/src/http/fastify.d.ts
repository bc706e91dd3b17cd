import { type Principal } from '../auth/api-keys';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request arrives (see http/edge.ts) if it carries a valid API key. */
    principal?: Principal;
  }
}
