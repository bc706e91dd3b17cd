import { type SandboxServer } from '../shared/sandbox-server';
import { type DigitalRiverSandboxAdmin } from './digital-river.sandbox';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const badRequest = (error: string) => ({ status: 400, body: { error } });

/**
 * The admin HTTP routes for DR's events and webhooks (what DR's Dashboard offers: register an
 * endpoint, rotate its secret), each the same as the in-process admin method of that name.
 */
export function registerWebhookAdminRoutes<P>(
  server: SandboxServer<P>,
  admin: DigitalRiverSandboxAdmin,
): void {
  server.adminRoute('GET', '/events', () => ({ status: 200, body: admin.dumpEvents() }));
  server.adminRoute('GET', '/webhooks', () => ({ status: 200, body: admin.webhooks() }));
  server.adminRoute('POST', '/webhooks', (req) => {
    const body = req.body;
    if (!isRecord(body) || typeof body['url'] !== 'string' || !/^https?:\/\//.test(body['url'])) {
      return badRequest(
        'body must be {"url": "http(s)://…", "types"?: [..], "secret"?: "…", "enabled"?: bool}',
      );
    }
    const types = body['types'];
    if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === 'string'))) {
      return badRequest('"types" must be an array of event types');
    }
    if (body['secret'] !== undefined && typeof body['secret'] !== 'string')
      return badRequest('"secret" must be a string');
    const endpoint = admin.registerWebhook({
      url: body['url'],
      ...(types === undefined ? {} : { types: types }),
      ...(typeof body['secret'] === 'string' ? { secret: body['secret'] } : {}),
      ...(typeof body['enabled'] === 'boolean' ? { enabled: body['enabled'] } : {}),
    });
    return { status: 201, body: endpoint };
  });
  server.adminRoute('POST', '/webhooks/:id/rotate', (req) => {
    const body = isRecord(req.body) ? req.body : {};
    const secret = typeof body['secret'] === 'string' ? body['secret'] : undefined;
    const overlapMs =
      typeof body['overlapMs'] === 'number' && body['overlapMs'] >= 0 ? body['overlapMs'] : undefined;
    const rotated = admin.rotateWebhookSecret(req.params['id'] ?? '', secret, overlapMs);
    return rotated === undefined
      ? { status: 404, body: { error: 'unknown webhook' } }
      : { status: 200, body: rotated };
  });
  server.adminRoute('DELETE', '/webhooks/:id', (req) =>
    admin.removeWebhook(req.params['id'] ?? '')
      ? { status: 204 }
      : { status: 404, body: { error: 'unknown webhook' } },
  );
  server.adminRoute('PUT', '/webhook-sending', (req) => {
    const enabled = isRecord(req.body) ? req.body['enabled'] : undefined;
    if (typeof enabled !== 'boolean') return badRequest('body must be {"enabled": true|false}');
    admin.setWebhooksEnabled(enabled);
    return { status: 204 };
  });
  server.adminRoute('GET', '/webhook-deliveries', () => ({ status: 200, body: admin.webhookDeliveries() }));
}
