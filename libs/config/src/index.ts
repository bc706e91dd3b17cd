/**
 * What every app reads the same way: the environment (validated once) and the structured logger.
 * (Opening the database those settings name is libs/persistence's `openConfiguredDatabase`.) Apps import this, never one another.
 */
export {
  API_KEY_SCOPES,
  ConfigError,
  loadGatewayConfig,
  migrationOptions,
  secretKeyring,
  syncOptions,
  tracesExporter,
  type GatewayConfig,
} from './gateway.config';
export { createLogger, loggerParams, requestIdFor, usesPrettyLogs } from './logging';
