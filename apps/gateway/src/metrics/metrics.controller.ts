import { timingSafeEqual } from 'node:crypto';

import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Header,
  Inject,
  Injectable,
  Res,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { DomainError } from '@app/domain';
import { type GatewayConfig } from '@app/config';
import { type FastifyReply, type FastifyRequest } from 'fastify';

import { presentedApiKey } from '../auth/presented-key';
import { hasScope, sha256 } from '../auth/api-keys';
import { PUBLIC_ROUTE } from '../auth/auth.decorators';
import { GATEWAY_CONFIG } from '../config/config.module';
import { ApiProblems } from '../errors/problem.dto';
import { MetricsRegistry } from './metrics.registry';

/**
 * Who may scrape: the holder of METRICS_TOKEN or an `admin` key when a token is configured or in
 * production (metrics name provider accounts and traffic volumes); anyone in development.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly tokenDigest: Buffer | undefined;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.tokenDigest = config.METRICS_TOKEN === undefined ? undefined : sha256(config.METRICS_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.tokenDigest === undefined && this.config.NODE_ENV !== 'production') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = presentedApiKey(req);
    if (
      presented !== undefined &&
      this.tokenDigest !== undefined &&
      timingSafeEqual(sha256(presented), this.tokenDigest)
    ) {
      return true;
    }
    if (req.principal === undefined) {
      throw new DomainError(
        'unauthenticated',
        'Send METRICS_TOKEN or an admin API key as "Authorization: Bearer <token>".',
      );
    }
    if (!hasScope(req.principal, 'admin')) {
      throw new DomainError('forbidden', 'This API key lacks the "admin" scope.');
    }
    return true;
  }
}

@ApiTags('health')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  // The API-key guard steps aside: MetricsAccessGuard knows METRICS_TOKEN as well as keys.
  @SetMetadata(PUBLIC_ROUTE, true)
  @UseGuards(MetricsAccessGuard)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'HTTP requests and provider calls (counts and latency histograms), the sync outbox backlog, webhook deliveries, running migrations and process metrics. Open outside production unless METRICS_TOKEN is set; otherwise send METRICS_TOKEN or an `admin` key as a bearer token.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The metrics.',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP csg_outbox_links Provider links by status (pending links are the outbox backlog).\n# TYPE csg_outbox_links gauge\ncsg_outbox_links{status="pending"} 0\n',
      },
    },
  })
  @ApiProblems(401, 403)
  async metrics(@Res({ passthrough: true }) res: FastifyReply): Promise<string> {
    const body = await this.registry.metrics();
    res.type(this.registry.contentType);
    return body;
  }
}
