import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

import { type ApiKeyScope } from './api-keys';

export const REQUIRED_SCOPE = 'gateway:required-scope';
export const PUBLIC_ROUTE = 'gateway:public-route';

/**
 * The scope a route needs; routes without it need `admin`, so nothing is open by accident. The
 * OpenAPI document states it on each operation as `x-required-scope`.
 */
export const RequiresScope = (scope: ApiKeyScope) =>
  applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension('x-required-scope', scope));

/** Marks a public operation in the OpenAPI document until `buildOpenApiDocument` states `security: []`. */
export const PUBLIC_OPERATION_EXTENSION = 'x-public';

/** A route anyone may call without a key, such as the health probes. */
export const Public = () =>
  applyDecorators(SetMetadata(PUBLIC_ROUTE, true), ApiExtension(PUBLIC_OPERATION_EXTENSION, true));
