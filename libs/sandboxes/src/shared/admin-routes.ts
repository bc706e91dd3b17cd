import { type SandboxServer } from './sandbox-server';
import { type SandboxAdmin } from './types';

/** Largest seed accepted over HTTP: the migration benchmarks seed 100,000 customers. */
const MAX_SEED = 1_000_000;

function adminError(status: number, message: string) {
  return { status, body: { error: message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The admin HTTP API, identical on both sandboxes (each adds its own provider-specific extras).
 * Everything here is also available in-process through SandboxAdmin.
 */
export function registerAdminRoutes<P, C>(server: SandboxServer<P>, admin: SandboxAdmin<C>): void {
  server.adminRoute('POST', '/reset', () => {
    admin.reset();
    return { status: 204 };
  });
  server.adminRoute('POST', '/seed', (req) => {
    const count = isRecord(req.body) ? req.body['count'] : undefined;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_SEED) {
      return adminError(400, `body must be {"count": <integer 0..${MAX_SEED}>}`);
    }
    return { status: 201, body: { created: admin.seed(count) } };
  });
  server.adminRoute('GET', '/customers', () => ({ status: 200, body: admin.dump() }));
  server.adminRoute('PATCH', '/customers/:ref', (req) => {
    if (!isRecord(req.body)) return adminError(400, 'body must be a JSON object (fields to overwrite)');
    const updated = admin.modifyCustomer(req.params['ref'] ?? '', req.body as Partial<C>);
    return updated === undefined ? adminError(404, 'unknown customer') : { status: 200, body: updated };
  });
  server.adminRoute('DELETE', '/customers/:ref', (req) =>
    admin.removeCustomer(req.params['ref'] ?? '') ? { status: 204 } : adminError(404, 'unknown customer'),
  );
  server.adminRoute('GET', '/faults', () => ({ status: 200, body: admin.getFaults() }));
  server.adminRoute('PUT', '/faults', (req) => {
    try {
      admin.setFaults((req.body ?? {}) as Parameters<typeof admin.setFaults>[0]);
    } catch (error) {
      return adminError(400, (error as Error).message);
    }
    return { status: 200, body: admin.getFaults() };
  });
  server.adminRoute('PUT', '/rate-limit', (req) => {
    const perSecond = isRecord(req.body) ? req.body['perSecond'] : undefined;
    if (typeof perSecond !== 'number' || perSecond < 0) {
      return adminError(400, 'body must be {"perSecond": <number >= 0>} (0 disables)');
    }
    admin.setRateLimit(perSecond);
    return { status: 204 };
  });
  server.adminRoute('GET', '/stats', () => ({ status: 200, body: admin.stats() }));
}
