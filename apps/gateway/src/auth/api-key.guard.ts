import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@app/domain';
import { type FastifyRequest } from 'fastify';

import { RateLimits } from '../rate-limit/rate-limits';
import { type ApiKeyScope, hasScope } from './api-keys';
import { PUBLIC_ROUTE, REQUIRED_SCOPE } from './auth.decorators';
import { presentedApiKey } from './presented-key';

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const required = this.reflector.getAllAndOverride<ApiKeyScope>(REQUIRED_SCOPE, targets) ?? 'admin';
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (req.principal === undefined) {
      // Guessing keys from one address is answered 429 after a few failures (AUTH_FAILURES_PER_ADDRESS).
      await this.limits.authenticationFailed(req.ip);
      throw new DomainError(
        'unauthenticated',
        presentedApiKey(req) === undefined
          ? 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".'
          : 'The API key is not valid.',
      );
    }
    if (!hasScope(req.principal, required)) {
      throw new DomainError('forbidden', `This API key lacks the "${required}" scope.`);
    }
    return true;
  }
}
