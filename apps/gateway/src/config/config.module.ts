import { type DynamicModule, Global, Module } from '@nestjs/common';

import { type GatewayConfig } from '@app/config';

export const GATEWAY_CONFIG = 'GATEWAY_CONFIG';

/** Makes the validated configuration injectable everywhere; it is loaded once, before Nest starts. */
@Global()
@Module({})
export class GatewayConfigModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayConfigModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}
