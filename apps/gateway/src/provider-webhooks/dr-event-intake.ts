import { type ReceivedProviderEvent } from '@app/persistence';
import { DIGITAL_RIVER, type DrEvent, drEventCopy, drEventSubject } from '@app/providers';

import { type ProviderEventWorker } from './provider-event-worker';

/**
 * Digital River events, from a webhook or the Events API, as the inbox records them: the customer
 * each is about, and `settled` when the copy it carried already equals the mirror's customer (most
 * often the echo of the gateway's own write), so that no worker re-reads the customer at DR for it.
 */
export async function receivedDrEvents(
  account: string,
  events: readonly DrEvent[],
  worker: ProviderEventWorker,
): Promise<ReceivedProviderEvent[]> {
  return Promise.all(
    events.map(async (event) => {
      const subject = drEventSubject(event);
      const copy = drEventCopy(event);
      const settled =
        subject !== undefined &&
        copy !== undefined &&
        (await worker.holdsMirror(
          {
            provider: DIGITAL_RIVER,
            account,
            reference: subject.reference,
            eventId: event.id,
            eventType: event.type,
          },
          copy,
        ));
      return {
        provider: DIGITAL_RIVER,
        account,
        eventId: event.id,
        eventType: event.type,
        ...(subject === undefined ? {} : { reference: subject.reference }),
        ...(subject?.occurredAt === undefined ? {} : { occurredAt: subject.occurredAt }),
        ...(settled ? { settled } : {}),
      };
    }),
  );
}
