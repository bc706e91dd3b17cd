import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, DECORATORS } from '@nestjs/swagger';

import { type ApiKeyScope } from './api-keys';

export const REQUIRED_SCOPE = 'gateway:required-scope';
export const PUBLIC_ROUTE = 'gateway:public-route';

/**
 * The scope a route needs; routes without it need `admin`, so nothing is open by accident. The
 * OpenAPI document states it on each operation as `x-required-scope`.
 */
export const RequiresScope = (scope: ApiKeyScope) =>
  applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension('x-required-scope', scope));

/**
 * Documents the operation as open (`security: []`, overriding the document's default of an API key).
 * Merged into the operation's metadata directly: `@ApiOperation` would reset its summary, and
 * `@ApiSecurity` drops an empty requirement list.
 */
const documentedAsOpen: MethodDecorator = (_target, _key, descriptor) => {
  const operation = (Reflect.getMetadata(DECORATORS.API_OPERATION, descriptor.value as object) ??
    {}) as object;
  Reflect.defineMetadata(
    DECORATORS.API_OPERATION,
    { ...operation, security: [] },
    descriptor.value as object,
  );
  return descriptor;
};

/** A route anyone may call, such as the health check; the OpenAPI document says so too. */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), documentedAsOpen);
