import { type LoggerService } from '@nestjs/common';

/**
 * Nest's own start-up detail: a line per module wired (InstanceLoader), per controller and per
 * route mapped (RoutesResolver, RouterExplorer), some 40 lines that opened every start at `info`.
 * They are wiring, not news: at `debug` they stay available (LOG_LEVEL=debug) without burying the
 * lines an operator reads.
 */
const START_UP_DETAIL: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Nest's logger (nestjs-pino's) with Nest's start-up detail moved from `log` down to `debug`. */
export class QuietStartUpLogger implements LoggerService {
  constructor(private readonly logger: LoggerService & { debug: NonNullable<LoggerService['debug']> }) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && START_UP_DETAIL.has(context)) {
      this.logger.debug(message, ...optionalParams);
    } else {
      this.logger.log(message, ...optionalParams);
    }
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.debug(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    (this.logger.verbose ?? this.logger.debug).call(this.logger, message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    (this.logger.fatal ?? this.logger.error).call(this.logger, message, ...optionalParams);
  }
}
