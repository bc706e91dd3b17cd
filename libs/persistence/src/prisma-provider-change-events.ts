import { Inject, Injectable } from '@nestjs/common';
import {
  type CallContext,
  type ProviderChangeDetected,
  ProviderChangeEvents,
  type ProviderChangeResolved,
} from '@app/domain';

import { type PrismaClient } from '../../../generated/prisma/client';
import { type NewEvent, recordEvent } from './event-log';
import { PRISMA_CLIENT } from './prisma.tokens';

/** The conflict policy's findings and resolutions as events (with their webhook deliveries). */
@Injectable()
export class PrismaProviderChangeEvents extends ProviderChangeEvents {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  detected(context: CallContext, customerId: string, change: ProviderChangeDetected): Promise<void> {
    return this.record(context, {
      type: 'customer.provider_change_detected',
      customerId,
      data: { ...change },
    });
  }

  resolved(context: CallContext, customerId: string, change: ProviderChangeResolved): Promise<void> {
    return this.record(context, {
      type: 'customer.provider_change_resolved',
      customerId,
      data: { ...change },
    });
  }

  private async record(context: CallContext, event: NewEvent): Promise<void> {
    await this.prisma.$transaction((tx) => recordEvent(tx, event, context));
  }
}
