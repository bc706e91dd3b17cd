import { SetMetadata } from '@nestjs/common';

import { type ApiKeyScope } from './api-keys';

export const REQUIRED_SCOPE = 'gateway:required-scope';
export const PUBLIC_ROUTE = 'gateway:public-route';

/** The scope a route needs; routes without it need `admin`, so nothing is open by accident. */
export const RequiresScope = (scope: ApiKeyScope) => SetMetadata(REQUIRED_SCOPE, scope);

/** A route anyone may call, such as the health check. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
