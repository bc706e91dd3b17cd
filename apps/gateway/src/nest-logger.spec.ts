import { QuietStartUpLogger } from './nest-logger';

describe('the gateway’s Nest logger', () => {
  const lines: [string, unknown, unknown][] = [];
  const delegate = {
    log: (message: unknown, context: unknown) => lines.push(['log', message, context]),
    debug: (message: unknown, context: unknown) => lines.push(['debug', message, context]),
    error: (message: unknown, context: unknown) => lines.push(['error', message, context]),
    warn: (message: unknown, context: unknown) => lines.push(['warn', message, context]),
  };

  it("logs Nest's route mapping and module wiring at debug, everything else as Nest asks", () => {
    const logger = new QuietStartUpLogger(delegate);
    logger.log('Mapped {/v1/customers, POST} route', 'RouterExplorer');
    logger.log('CustomersController {/v1/customers}:', 'RoutesResolver');
    logger.log('GatewayModule dependencies initialized', 'InstanceLoader');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.warn('a warning', 'SomeService');
    expect(lines).toEqual([
      ['debug', 'Mapped {/v1/customers, POST} route', 'RouterExplorer'],
      ['debug', 'CustomersController {/v1/customers}:', 'RoutesResolver'],
      ['debug', 'GatewayModule dependencies initialized', 'InstanceLoader'],
      ['log', 'Nest application successfully started', 'NestApplication'],
      ['warn', 'a warning', 'SomeService'],
    ]);
  });
});
