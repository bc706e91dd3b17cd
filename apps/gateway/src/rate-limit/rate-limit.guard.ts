import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';

import { RateLimits, SPENDS_PROVIDER_CALLS } from './rate-limits';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs after ApiKeyGuard, so it knows the caller. Public routes (health) and unauthenticated
 * requests (already refused) are not counted.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = req.principal;
    if (principal === undefined) return true;
    const { keyId, scopes } = principal;
    const targets = [context.getHandler(), context.getClass()];
    const reads = READ_METHODS.has(req.method);
    // The scarcer budgets first, so a refused provider call does not also spend a read; the
    // key's own before the shared ones, so a key over its own share takes nothing from the others;
    // a read's capped share of the shared budget before the budget itself, so reads refused there
    // take nothing from what is kept for writes.
    if (this.reflector.getAllAndOverride<boolean>(SPENDS_PROVIDER_CALLS, targets)) {
      await this.limits.consume('provider', keyId, scopes);
      if (reads) await this.limits.consume('provider-reads', keyId);
      await this.limits.consume('provider-total', keyId);
    }
    await this.limits.consume(reads ? 'read' : 'write', keyId, scopes);
    return true;
  }
}
