import { Readiness } from '@app/persistence';
import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';

import { Public } from '../auth/auth.decorators';
import { problemType } from '../errors/problem';
import { ProblemDto } from '../errors/problem.dto';

class LiveResponse {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
}

class ReadyResponse {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
  @ApiProperty({ example: 'up' }) database!: 'up';
  @ApiProperty({ description: 'Migrations of this build, all applied.', example: 3 }) migrations!: number;
}

const NOT_READY = ApiResponse({
  status: 503,
  description: 'Not ready (`not_ready`): the database is unreachable or lacks a migration of this build.',
  content: {
    'application/problem+json': {
      schema: { $ref: getSchemaPath(ProblemDto) },
      example: {
        type: problemType('not_ready'),
        title: 'Service Unavailable',
        status: 503,
        code: 'not_ready',
        detail: 'The database lacks 1 migration(s) of this build: 20261123113052_migration_job.',
        retryable: true,
        requestId: '6f1c2a9e-3f0e-4a43-9d7e-6a1b8b0f2c11',
        instance: '/health/ready',
      },
    },
  },
});

/**
 * Kubernetes-style probes, open to everyone: liveness says only that the process answers (a
 * database outage must not get every instance restarted), readiness that it can serve.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  @Get('live')
  @Public()
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: the process is up (touches nothing else)' })
  @ApiOkResponse({ type: LiveResponse })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: the database answers and every migration of this build is applied',
  })
  @ApiOkResponse({ type: ReadyResponse })
  @NOT_READY
  async ready(): Promise<ReadyResponse> {
    const { migrations } = await this.readiness.check();
    return { status: 'ok', database: 'up', migrations };
  }

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Readiness, as /health/ready (kept for existing probes)',
  })
  @ApiOkResponse({ type: ReadyResponse })
  @NOT_READY
  health(): Promise<ReadyResponse> {
    return this.ready();
  }
}
