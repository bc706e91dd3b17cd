/**
 * What every app reads the same way: the environment (validated once), the database it names and
 * the structured logger. Apps import this, never one another.
 */
export {
  API_KEY_SCOPES,
  ConfigError,
  loadGatewayConfig,
  migrationOptions,
  syncOptions,
  type GatewayConfig,
} from './gateway.config';
export { openConfiguredDatabase } from './database';
export { createLogger, loggerParams, requestIdFor, usesPrettyLogs } from './logging';
