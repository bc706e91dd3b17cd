import { customerData } from '@app/domain';
import { TCO_ERASED, TCO_ERASED_EMAIL_DOMAIN, TCO_ERASED_ZIP } from './two-checkout.mapper';
import { checkTcoCustomer, tcoLossyFields, tcoPersonalDataHeld } from './two-checkout.rules';

/** Everything 2CO requires (https://docs.2checkout.com/soap-api-reference/soap-api-6.0/api-requests/customer). */
const base = customerData({
  givenName: 'John',
  familyName: 'Smith',
  email: 'jsmith@example.test',
  address: { line1: '10380 Bren Rd W', city: 'Minnetonka', postalCode: '55129', country: 'US' },
});

describe('2Checkout rules', () => {
  it('lists every rule a customer breaks, in canonical field names', () => {
    const violations = checkTcoCustomer(
      customerData({
        email: 'not-an-email',
        address: { country: 'US' },
        taxIdentifiers: [{ type: 'us', value: '1' }],
      }),
    );
    expect(violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
      'givenName:required',
      'familyName:required',
      'address.line1:required',
      'address.city:required',
      'address.postalCode:required',
      'email:format',
      'taxIdentifiers:requires',
    ]);
    expect(violations.every((v) => v.provider === 'two-checkout')).toBe(true);
    expect(checkTcoCustomer(base)).toEqual([]);
    expect(checkTcoCustomer({ ...base, givenName: '   ' }).map((v) => v.field)).toEqual(['givenName']);
    expect(
      checkTcoCustomer({ ...base, companyName: 'Acme', taxIdentifiers: [{ type: 'us', value: '1' }] }),
    ).toEqual([]);
  });

  it('reports the locale region and all but the first tax identifier as held in part', () => {
    expect(tcoLossyFields(base)).toEqual([]);
    expect(tcoLossyFields({ ...base, locale: 'de' })).toEqual([]);
    expect(tcoLossyFields({ ...base, locale: 'de-CH' })).toEqual(['locale']);
    const two = [
      { type: 'de', value: 'DE1' },
      { type: 'uk', value: 'GB2' },
    ];
    expect(tcoLossyFields({ ...base, taxIdentifiers: two.slice(0, 1) })).toEqual([]);
    expect(tcoLossyFields({ ...base, locale: 'fr-FR', taxIdentifiers: two })).toEqual([
      'locale',
      'taxIdentifiers',
    ]);
  });

  it('counts what a copy still holds, not the placeholders a scrub wrote', () => {
    const remote = { reference: 'r', customer: base, unsupportedFields: [], forgotten: false };
    expect(tcoPersonalDataHeld(remote)).toEqual(
      expect.arrayContaining(['givenName', 'familyName', 'email', 'address']),
    );
    const scrubbed = customerData({
      givenName: TCO_ERASED,
      familyName: TCO_ERASED,
      email: `erased-r@${TCO_ERASED_EMAIL_DOMAIN}`,
      address: { line1: TCO_ERASED, city: TCO_ERASED, postalCode: TCO_ERASED_ZIP, country: 'US' },
    });
    // The country stays: CountryCode is required and has no neutral value.
    expect(tcoPersonalDataHeld({ ...remote, customer: scrubbed })).toEqual(['address']);
    expect(tcoPersonalDataHeld({ ...remote, customer: customerData() })).toEqual([]);
  });
});
