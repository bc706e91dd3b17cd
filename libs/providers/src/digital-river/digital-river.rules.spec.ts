import { customerData } from '@app/domain';
import { checkDrCustomer, drLossyFields, drPersonalDataHeld } from './digital-river.rules';

const base = customerData();

describe('Digital River rules', () => {
  it('lists every rule a customer breaks, in canonical field names', () => {
    const violations = checkDrCustomer({
      ...base,
      externalReference: 'x'.repeat(41),
      metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
      defaultSourceId: 'src_1',
    });
    expect(violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
      'externalReference:max_length',
      'metadata:max_length',
      'defaultSourceId:requires',
    ]);
    expect(checkDrCustomer({ ...base, sourceIds: ['src_1'], defaultSourceId: 'src_1' })).toEqual([]);
  });

  it('reports the joined name as held in part, and what a copy still holds', () => {
    expect(drLossyFields({ ...base, givenName: 'Mary Ann', familyName: 'Smith' })).toEqual(['givenName', 'familyName']);
    expect(drLossyFields(base)).toEqual([]);
    const remote = { reference: 'r', customer: { ...base, email: 'a@example.test', address: { country: 'US' } }, unsupportedFields: [], forgotten: true };
    expect(drPersonalDataHeld(remote)).toEqual(['email', 'address']);
    expect(drPersonalDataHeld({ ...remote, customer: base })).toEqual([]);
  }); // prettier-ignore
});
