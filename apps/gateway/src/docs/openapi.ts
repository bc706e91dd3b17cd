import { loadGatewayConfig } from '@app/config';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { ApiKeyRegistry } from '../auth/api-keys';
import { GatewayModule } from '../gateway.module';
import { gatewayAdapter } from '../http/platform';
import { documentCommonAnswers } from './common-answers';
import { documentEvents } from './event-payloads';
import { asOpenApi31 } from './openapi-31';
import { documentOperations } from './operations';
import { documentProviderIds } from './provider-ids';
import { idempotencyKeyPerRequest } from './swagger-ui';

/** An object with its keys in code-point order, so that the order controllers register in does not show. */
function sortedByKey<T>(record: Record<string, T> | undefined): Record<string, T> | undefined {
  if (record === undefined) return undefined;
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Customer Sync Gateway')
    .setDescription(
      [
        'One canonical Customer API kept in sync across Digital River and 2Checkout/Verifone.',
        '',
        'Authenticate with an API key: **Authorize** and paste the key under `bearer` (an opaque key such as `csg_dev_…`, sent as `Authorization: Bearer <key>`; the gateway also reads it from `X-API-Key`, which clients that cannot set `Authorization` may use instead).',
        'Scopes (each operation names its own as `x-required-scope`):',
        '',
        '| scope | allows |',
        '| --- | --- |',
        '| `customers:read` | reading customers, their drift and audit trail, the provider accounts |',
        '| `customers:write` | `customers:read`, plus create, update, delete, links, sources, tax identifiers, re-drive, per-customer reconcile |',
        '| `customers:erase` | forget (irreversible GDPR erasure); nothing else, so combine it with another scope |',
        '| `admin` | everything, including import, whole-base reconciliation and migrations |',
        '',
        'The health probes are open; `/metrics` is open outside production unless `METRICS_TOKEN` is set.',
        '',
        'Every error is RFC 9457 `application/problem+json` with a stable `code`, a `detail`, the offending `errors[].field`s and the `requestId`.',
        'Unsafe requests accept `Idempotency-Key`. Swagger UI sends one of its own with every unsafe request, the same one for the same request while the page is open: pressing **Execute** again replays the first answer (`Idempotent-Replayed: true`) instead of creating another customer; change the request, or reload the page, to send a new one.',
        '',
        'Each API key has rate limits (reads, writes, and a smaller budget for operations that call the providers: drift, sync, reconcile, import). Over a limit the answer is 429 `rate_limited` with `Retry-After` in seconds.',
        'Requests whose headers are too large (431), that arrive too slowly (408) or are not HTTP (400) are answered in problem+json too.',
      ].join('\n'),
    )
    .setVersion('1')
    // Relative: Swagger UI and generated clients resolve it against wherever the gateway runs.
    .addServer('/', 'This gateway')
    .setOpenAPIVersion('3.1.0')
    // One scheme: the key is opaque (no JWT), and `X-API-Key`, which the gateway reads too, is the
    // same key in another header; two schemes in Swagger UI only asked which one to use.
    .addSecurity('bearer', {
      type: 'http',
      scheme: 'bearer',
      description:
        'The API key, opaque (e.g. `csg_dev_…`; the start-up banner prints the development key), sent as `Authorization: Bearer <key>`. `X-API-Key: <key>` is accepted too.',
    })
    // Every operation needs a key unless it says otherwise (`@Public()` answers `security: []`).
    .addSecurityRequirements('bearer')
    .build();
  const generated = SwaggerModule.createDocument(app, config);
  const document = documentEvents(
    asOpenApi31(documentProviderIds(documentCommonAnswers(documentOperations(generated)))),
  );
  // Stable order for the committed copy: engineers add controllers in any order.
  document.paths = sortedByKey(document.paths) ?? {};
  if (document.components !== undefined)
    document.components.schemas = sortedByKey(document.components.schemas);
  return document;
}

/**
 * The document of the real gateway module, built without a database, providers or a listening
 * port: preview mode resolves the module graph and the routes but instantiates nothing.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadGatewayConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(
    GatewayModule.register({
      config,
      apiKeys: new ApiKeyRegistry([]),
      providerAccounts: [],
      openDatabase: () => Promise.reject(new Error('the OpenAPI document needs no database')),
    }),
    gatewayAdapter(config),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** Swagger UI at /docs with Authorize, and the OpenAPI document at /docs-json. */
export function setUpDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true, requestInterceptor: idempotencyKeyPerRequest },
    customSiteTitle: 'Customer Sync Gateway',
  });
}
