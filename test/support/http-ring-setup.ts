/**
 * The HTTP ring's setup (jest.config.js, setupFilesAfterEnv): every gateway a test starts has each
 * of its answers checked against the committed OpenAPI document (openapi-responses.ts), and a test
 * fails when its requests got an answer the document does not describe. Hooked into Nest's
 * `listen`, so every way a suite builds the gateway (startGateway, createGatewayApp) is covered.
 */
import { KNOWN_PROVIDER_ADAPTERS, type ProviderAdapters } from '@app/providers';
import { NestApplication } from '@nestjs/core';

import { checkResponsesOf, ResponseContract, takeResponseMismatches } from './openapi-responses';

const contracts = new Map<string, ResponseContract>();

/** The document as this gateway declares it: its provider ids, in case a test added a provider. */
function contractFor(app: NestApplication): ResponseContract {
  let providerIds: string[] | undefined;
  try {
    providerIds = Object.keys(app.get<ProviderAdapters>(KNOWN_PROVIDER_ADAPTERS, { strict: false }));
  } catch {
    providerIds = undefined;
  }
  const key = providerIds?.join(',') ?? '';
  let contract = contracts.get(key);
  if (contract === undefined) contracts.set(key, (contract = new ResponseContract(providerIds)));
  return contract;
}

const listen = NestApplication.prototype.listen;
NestApplication.prototype.listen = function (this: NestApplication, ...args: unknown[]) {
  checkResponsesOf(this.getHttpServer(), contractFor(this));
  return (listen as (...a: unknown[]) => ReturnType<typeof listen>).apply(this, args);
} as typeof listen;

afterEach(() => {
  const mismatches = takeResponseMismatches();
  if (mismatches.length > 0) {
    throw new Error(`The gateway answered unlike its OpenAPI document:\n${mismatches.join('\n')}`);
  }
});
