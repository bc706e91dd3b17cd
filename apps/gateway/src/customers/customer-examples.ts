// Request and answer examples for the OpenAPI document, from the providers' own documentation
// (Digital River's "John Smith", https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers).

const SANDBOX_DR_AUTH = { Authorization: 'Bearer sk_test_[REDACTED]' };
const SANDBOX_TCO_AUTH = {
  'X-Avangate-Authentication':
    'code="SANDBOXMERCHANT" date="2026-11-29 19:31:46" hash="[REDACTED]" algo="sha256"',
};

/** A real plan, as the create example answers it against the built-in sandboxes (secrets redacted). */
export const CREATE_PLAN_EXAMPLE = [
  {
    provider: 'digital-river',
    account: 'sandbox',
    requests: [
      {
        method: 'POST',
        url: 'http://127.0.0.1:36811/customers',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...SANDBOX_DR_AUTH },
        body: {
          id: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c',
          email: 'jsmith@digitalriver.com',
          shipping: {
            name: 'John Smith',
            phone: '952-111-1111',
            email: 'jsmith@digitalriver.com',
            organization: 'Digital River',
            address: {
              line1: '10380 Bren Rd W',
              city: 'Minnetonka',
              postalCode: '55129',
              state: 'MN',
              country: 'US',
            },
          },
          metadata: { coupon: 'SPRING20' },
          locale: 'en_US',
          type: 'business',
          enabled: true,
        },
      },
      {
        method: 'GET',
        url: 'http://127.0.0.1:36811/tax-identifiers?limit=100',
        headers: { Accept: 'application/json', ...SANDBOX_DR_AUTH },
        note: 'look for an unattached identifier of the same type and value to reuse',
      },
      {
        method: 'POST',
        url: 'http://127.0.0.1:36811/tax-identifiers',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...SANDBOX_DR_AUTH },
        body: { type: 'de', value: 'DE123456789' },
        note: 'create the tax identifier, if none',
      },
      {
        method: 'POST',
        url: 'http://127.0.0.1:36811/customers/cus_4f7d0e1c9b2a3d4e5f6a7b8c/tax-identifiers/{taxIdentifierId}',
        headers: { Accept: 'application/json', ...SANDBOX_DR_AUTH },
        note: 'attach the tax identifier found or created above',
      },
    ],
    unsupportedFields: [],
    lossyFields: ['givenName', 'familyName'],
    violations: [],
  },
  {
    provider: 'two-checkout',
    account: 'sandbox',
    requests: [
      {
        method: 'POST',
        url: 'http://127.0.0.1:37499/rest/6.0/customers/',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...SANDBOX_TCO_AUTH },
        body: {
          ExternalCustomerReference: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c',
          FirstName: 'John',
          LastName: 'Smith',
          Company: 'Digital River',
          FiscalCode: 'DE123456789',
          Address1: '10380 Bren Rd W',
          City: 'Minnetonka',
          State: 'MN',
          Zip: '55129',
          CountryCode: 'US',
          Phone: '952-111-1111',
          Email: 'jsmith@digitalriver.com',
          Language: 'en',
        },
      },
    ],
    unsupportedFields: ['type', 'metadata'],
    lossyFields: ['locale'],
    violations: [],
  },
];

/**
 * The request examples Swagger UI sends as they are (`@ApiBody({ examples })`). Each one succeeds
 * against a fresh gateway and again on a second try (test/gateway/openapi-examples.spec.ts);
 * `cus_4f7d0e1c9b2a3d4e5f6a7b8c` stands for the id of a customer you created.
 */
export const CUSTOMER_EXAMPLES = {
  create: {
    bothProviders: {
      summary: 'A customer complete for both providers (no externalReference, so it can be sent again)',
      value: {
        email: 'jsmith@digitalriver.com',
        givenName: 'John',
        familyName: 'Smith',
        companyName: 'Digital River',
        phone: '952-111-1111',
        address: {
          line1: '10380 Bren Rd W',
          city: 'Minnetonka',
          state: 'MN',
          postalCode: '55129',
          country: 'US',
        },
        locale: 'en-US',
        type: 'business',
        metadata: { coupon: 'SPRING20' },
        taxIdentifiers: [{ type: 'de', value: 'DE123456789' }],
      },
    },
    gatewayOnly: {
      summary: 'Kept in the gateway only, linked to no provider yet',
      value: { email: 'jsmith@digitalriver.com', givenName: 'John', familyName: 'Smith', providers: [] },
    },
  },
  update: {
    twoFields: {
      summary: 'Change the phone and add one metadata key; every other field is kept',
      value: { phone: '952-222-2222', metadata: { tier: 'gold' } },
    },
  },
  import: {
    byOurReference: {
      summary:
        "Adopt (or find, if already linked) a Digital River customer by its id, which is the gateway's id",
      value: { provider: 'digital-river', account: 'sandbox', reference: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' },
    },
  },
  link: {
    twoCheckout: {
      summary: 'Push the customer to the 2Checkout account',
      value: { provider: 'two-checkout', account: 'sandbox' },
    },
  },
  taxIdentifier: {
    germanVat: { summary: 'A German VAT id', value: { type: 'de', value: 'DE123456789' } },
  },
  reconcile: {
    push: { summary: 'Make every provider copy match the mirror', value: { strategy: 'push' } },
    adoptPhone: {
      summary: "Take the phone from Digital River's copy, push the rest",
      value: { strategy: 'push', fields: { phone: 'adopt' }, from: { provider: 'digital-river' } },
    },
  },
} as const;
