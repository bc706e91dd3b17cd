import 'reflect-metadata';

import { getMetadataStorage, IsEmail, IsInt, validate } from 'class-validator';

import { cacheValidationRuleLookups } from './validators';

class Contact {
  @IsEmail()
  email!: string;
}

class Order extends Contact {
  @IsInt()
  quantity!: number;
}

describe('cacheValidationRuleLookups', () => {
  it('answers each class its own and inherited rules, looked up once per class and options', async () => {
    const global = getMetadataStorage();
    const lookup = jest.spyOn(global, 'getTargetValidationMetadatas');
    cacheValidationRuleLookups(global);
    cacheValidationRuleLookups(global); // installing twice changes nothing

    const wrong = Object.assign(new Order(), { email: 'not-an-email', quantity: 1.5 });
    for (let round = 0; round < 3; round++) {
      const errors = await validate(wrong);
      expect(errors.map((error) => error.property).sort()).toEqual(['email', 'quantity']);
    }
    expect(await validate(Object.assign(new Order(), { email: 'a@example.test', quantity: 2 }))).toEqual([]);
    const contactErrors = await validate(Object.assign(new Contact(), { email: 'nope' }));
    expect(contactErrors.map((error) => error.property)).toEqual(['email']);
    // Order and Contact, each with the options `validate` uses: one lookup each.
    expect(lookup).toHaveBeenCalledTimes(2);
  });
});
