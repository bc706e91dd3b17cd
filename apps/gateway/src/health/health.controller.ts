import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { PRISMA_CLIENT } from '@app/persistence';

import { type PrismaClient } from '../../../../generated/prisma/client';
import { Public } from '../auth/auth.decorators';

class HealthResponse {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
  @ApiProperty({ example: 'up' }) database!: 'up';
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and database reachability; open to everyone.' })
  @ApiOkResponse({ type: HealthResponse })
  async health(): Promise<HealthResponse> {
    // A failed query throws, and the error filter answers 500 with a problem body.
    await this.prisma.$queryRaw`SELECT 1`;
    return { status: 'ok', database: 'up' };
  }
}
