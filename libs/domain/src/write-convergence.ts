import { type Customer, syncedLinks } from './customer';
import { type ClaimedLink, type SettleOutcome } from './sync-queue';

/**
 * Whether these deliveries brought the last of the customer's links to the version written, for
 * the write-convergence metric: every link kept in sync now holds `customer.version` (delivered
 * here, or confirmed before), and at least one of those delivered here was behind it (a re-drive
 * of a copy already at that version is no write converging). Two links of one customer delivered
 * at once by different lanes may each see the other still pending: such a write goes uncounted.
 */
export function writeConverged(
  customer: Customer,
  links: readonly ClaimedLink[],
  outcomes: readonly (SettleOutcome | undefined)[],
): boolean {
  const deliveredNow = new Set<string>();
  let caughtUp = false;
  links.forEach((link, index) => {
    const outcome = outcomes[index];
    if (outcome?.kind !== 'synced' || outcome.version !== customer.version) return;
    deliveredNow.add(`${link.provider}/${link.account}`);
    if (link.syncedVersion === undefined || link.syncedVersion < customer.version) caughtUp = true;
  });
  return (
    caughtUp &&
    syncedLinks(customer).every(
      (link) =>
        deliveredNow.has(`${link.provider}/${link.account}`) ||
        (link.status === 'synced' && link.syncedVersion === customer.version),
    )
  );
}
