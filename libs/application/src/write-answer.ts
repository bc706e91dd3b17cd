import { type DeliveredNow } from './sync-engine';
import { type Customer, sameTarget } from '@app/domain';

/**
 * The customer a write answers once its provider work was delivered within the request's wait,
 * without reading it back: the customer as written with its links as their settles stored them,
 * or the customer the engine read after the last settle. Undefined when the delivery did not
 * finish (or the write did not answer the customer it wrote): the request then reads it.
 */
export function answerFrom(
  written: Customer | undefined,
  delivered: DeliveredNow | undefined,
): Customer | undefined {
  if (delivered === undefined) return undefined;
  if ('read' in delivered) return delivered.read;
  if (written === undefined) return undefined;
  const providers = written.providers.map(
    (link) => delivered.settled.find((stored) => sameTarget(stored, link)) ?? link,
  );
  return { ...written, providers };
}
