import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { PUBLIC_OPERATION_EXTENSION } from '../auth/auth.decorators';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Customer Sync Gateway')
    .setDescription(
      [
        'One canonical Customer API kept in sync across Digital River and 2Checkout/Verifone.',
        '',
        'Authenticate with an API key: **Authorize** and paste it under `bearer` (or `api-key` for the `X-API-Key` header).',
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
        'Unsafe requests accept `Idempotency-Key`.',
      ].join('\n'),
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key, e.g. csg_dev_…' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  return markPublicOperations(SwaggerModule.createDocument(app, config));
}

/** `security: []` on every operation of a `@Public()` route: it needs no key (OpenAPI 3.0, §4.7.10). */
function markPublicOperations(document: OpenAPIObject): OpenAPIObject {
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      const extensible = operation as { security?: unknown[]; [PUBLIC_OPERATION_EXTENSION]?: boolean };
      if (extensible[PUBLIC_OPERATION_EXTENSION] !== true) continue;
      delete extensible[PUBLIC_OPERATION_EXTENSION];
      extensible.security = [];
    }
  }
  return document;
}

/** Swagger UI at /docs with Authorize, and the OpenAPI document at /docs-json. */
export function setUpDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
    customSiteTitle: 'Customer Sync Gateway',
  });
}
