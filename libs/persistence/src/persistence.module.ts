import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  CustomerRepository,
  MigrationStore,
  OutageReporters,
  ProviderCallLog,
  ProviderChangeEvents,
  SyncQueue,
} from '@app/domain';

import { type Database } from './database';
import { DatabaseOutageReporters } from './database-outage';
import { PrismaCustomerRepository } from './prisma-customer.repository';
import { PrismaMigrationStore } from './prisma-migration.store';
import { PrismaProviderCallLog } from './prisma-provider-call-log';
import { PrismaProviderChangeEvents } from './prisma-provider-change-events';
import { PrismaSyncQueue } from './prisma-sync-queue';
import { DATABASE, PRISMA_CLIENT } from './prisma.tokens';

/** An open database: PGlite or PostgreSQL behind the same PrismaClient. */
export type DatabaseHandle = Pick<Database, 'prisma' | 'query' | 'probe' | 'listen' | 'close' | 'postgres'>;

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  private readonly logger = new Logger('Database');

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
    this.logger.log('database closed');
  }
}

/** Binds the Prisma mirror to the domain's ports (repository, outbox, provider-call log, provider-change events); `open` decides which database. */
@Module({})
export class PersistenceModule {
  static forRoot(open: () => Promise<DatabaseHandle>): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      providers: [
        { provide: DATABASE, useFactory: open },
        {
          provide: PRISMA_CLIENT,
          inject: [DATABASE],
          useFactory: (database: DatabaseHandle) => database.prisma,
        },
        { provide: CustomerRepository, useClass: PrismaCustomerRepository },
        { provide: SyncQueue, useClass: PrismaSyncQueue },
        { provide: ProviderCallLog, useClass: PrismaProviderCallLog },
        { provide: MigrationStore, useClass: PrismaMigrationStore },
        { provide: OutageReporters, useClass: DatabaseOutageReporters },
        { provide: ProviderChangeEvents, useClass: PrismaProviderChangeEvents },
        DatabaseLifecycle,
      ],
      exports: [
        DATABASE,
        PRISMA_CLIENT,
        CustomerRepository,
        SyncQueue,
        ProviderCallLog,
        MigrationStore,
        OutageReporters,
        ProviderChangeEvents,
      ],
    };
  }
}
