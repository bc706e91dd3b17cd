import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type ObservedProviderCall, observeProviderCalls } from '@app/domain';

/**
 * Writes every failed provider call attempt (retries included) as a warn line, so faults are
 * visible in the logs of the gateway and of the migrator without a dashboard. The line names the
 * call (provider, account, operation, outcome, method, path template, status, the provider's code
 * and request id), never a body, a customer's data or a credential; inside an HTTP request the
 * logger adds its requestId and keyId.
 */
@Injectable()
export class ProviderFailureLog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ProviderCalls');
  private stopObserving: (() => void) | undefined;

  onModuleInit(): void {
    this.stopObserving = observeProviderCalls((call) => this.log(call));
  }

  onApplicationShutdown(): void {
    this.stopObserving?.();
  }

  private log(call: ObservedProviderCall): void {
    if (call.outcome === 'ok') return;
    // A 404 is how every read-before-create learns the customer is not there yet: not a fault.
    const level = call.outcome === 'not_found' ? 'debug' : 'warn';
    this.logger[level](
      {
        provider: call.provider,
        account: call.account,
        operation: call.operation,
        outcome: call.outcome,
        method: call.method,
        path: call.path,
        ...(call.httpStatus !== undefined ? { httpStatus: call.httpStatus } : {}),
        ...(call.providerCode !== undefined ? { providerCode: call.providerCode } : {}),
        ...(call.providerRequestId !== undefined ? { providerRequestId: call.providerRequestId } : {}),
        durationMs: call.durationMs,
      },
      'provider call failed',
    );
  }
}
