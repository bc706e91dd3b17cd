import { type TwoCheckoutCustomer, type TwoCheckoutCustomerFields } from './two-checkout.types';

/**
 * In-memory 2Checkout state: customers by numeric reference (a Map keeps creation order for dumps)
 * and an index on ExternalCustomerReference, which is unique per account (2CO "Customer IDs" page).
 * 2CO has no list endpoint in REST, so no ordered index is needed.
 */
export interface StoredTwoCheckoutCustomer {
  reference: number;
  fields: TwoCheckoutCustomerFields;
  enabled: boolean;
  trial: boolean;
  /** Transient tokens of saved cards, for `DELETE /customers/{ref}/credit-card/{token}`. */
  cards: Set<string>;
}

/** First generated reference: 9-digit like the documented samples (601952421, 141589723). */
const FIRST_REFERENCE = 100_000_001;

export class TwoCheckoutStore {
  private readonly byReference = new Map<number, StoredTwoCheckoutCustomer>();
  private readonly byExternal = new Map<string, StoredTwoCheckoutCustomer>();
  private nextReference = FIRST_REFERENCE;

  reset(): void {
    this.byReference.clear();
    this.byExternal.clear();
    this.nextReference = FIRST_REFERENCE;
  }

  get size(): number {
    return this.byReference.size;
  }

  all(): IterableIterator<StoredTwoCheckoutCustomer> {
    return this.byReference.values();
  }

  byInternal(reference: string): StoredTwoCheckoutCustomer | undefined {
    return /^\d+$/.test(reference) ? this.byReference.get(Number(reference)) : undefined;
  }

  /**
   * One path serves both references (docs/providers/two-checkout.md "Internal 2Checkout customer reference or your customer
   * identifier"): all digits is tried as the internal reference first, then as an external one.
   */
  find(reference: string): StoredTwoCheckoutCustomer | undefined {
    return this.byInternal(reference) ?? this.byExternal.get(reference);
  }

  externalTaken(external: string | null, except?: StoredTwoCheckoutCustomer): boolean {
    if (external === null) return false;
    const owner = this.byExternal.get(external);
    return owner !== undefined && owner !== except;
  }

  insert(fields: TwoCheckoutCustomerFields): StoredTwoCheckoutCustomer {
    const record: StoredTwoCheckoutCustomer = {
      reference: this.nextReference++,
      fields,
      enabled: false,
      trial: false,
      cards: new Set(),
    };
    this.byReference.set(record.reference, record);
    if (fields.ExternalCustomerReference !== null)
      this.byExternal.set(fields.ExternalCustomerReference, record);
    return record;
  }

  replace(record: StoredTwoCheckoutCustomer, fields: TwoCheckoutCustomerFields): void {
    const oldExternal = record.fields.ExternalCustomerReference;
    if (oldExternal !== null && this.byExternal.get(oldExternal) === record)
      this.byExternal.delete(oldExternal);
    record.fields = fields;
    if (fields.ExternalCustomerReference !== null)
      this.byExternal.set(fields.ExternalCustomerReference, record);
  }

  remove(record: StoredTwoCheckoutCustomer): void {
    this.byReference.delete(record.reference);
    const external = record.fields.ExternalCustomerReference;
    if (external !== null && this.byExternal.get(external) === record) this.byExternal.delete(external);
  }

  toApi(record: StoredTwoCheckoutCustomer): TwoCheckoutCustomer {
    const f = record.fields;
    const reference = String(record.reference);
    return {
      AvangateCustomerReference: reference,
      CustomerReference: reference,
      ExternalCustomerReference: f.ExternalCustomerReference,
      FirstName: f.FirstName,
      LastName: f.LastName,
      Company: f.Company,
      FiscalCode: f.FiscalCode,
      Address1: f.Address1,
      Address2: f.Address2,
      City: f.City,
      State: f.State,
      Zip: f.Zip,
      CountryCode: f.CountryCode,
      Phone: f.Phone,
      Fax: f.Fax,
      Email: f.Email,
      ExistingCards: [],
      Enabled: record.enabled,
      Trial: record.trial,
      Language: f.Language,
      Credit: null,
    };
  }
}
