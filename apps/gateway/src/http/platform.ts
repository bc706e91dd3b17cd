import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type GatewayConfig } from '@app/config';

import { answerFrameworkError } from '../errors/problem.filter';
import { answerClientError } from './server-limits';

const BODY_LIMIT_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** BODY_LIMIT (`100kb`, `1mb`; checked by the config schema) in bytes. */
function bodyLimitBytes(limit: string): number {
  const [, amount = '0', unit = 'b'] = /^(\d+)(b|kb|mb)$/i.exec(limit) ?? [];
  return Number(amount) * (BODY_LIMIT_UNITS[unit.toLowerCase()] ?? 1);
}

/**
 * NestJS on Fastify (https://docs.nestjs.com/techniques/performance): its router and hooks leave
 * more of a create's CPU to the gateway than Express's middleware chain did (bench/README.md has
 * the runs). Fastify's own request logging is off (no logger): the edge logs and numbers requests
 * (http/edge.ts).
 */
export function gatewayAdapter(config: Pick<GatewayConfig, 'BODY_LIMIT'>): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: bodyLimitBytes(config.BODY_LIMIT),
    logger: false,
    // Our problem+json for what the router and Node's parser refuse before any hook runs.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // Nest middleware is not used: the edge is Fastify hooks, so middie is not registered.
    skipMiddie: true,
    // A request already on a kept-alive connection while the gateway shuts down is still served
    // (the shutdown waits for it), as on Express, rather than answered Fastify's plain-JSON 503.
    return503OnClosing: false,
    // As Express did: `/v1/customers/` is `/v1/customers`, and an id may be long enough to
    // be refused by its own validation (400 naming it) rather than by the router (414).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
  });
}
