import 'reflect-metadata';

import { getMetadataStorage, IsEmail, IsInt, ValidateNested, validate } from 'class-validator';
import { Type } from 'class-transformer';

import { cacheValidationRuleLookups } from './validators';

class Contact {
  @IsEmail()
  email!: string;
}

class Order extends Contact {
  @IsInt()
  quantity!: number;
}

class Shipment {
  @ValidateNested()
  @Type(() => Contact)
  to!: Contact;
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

describe('cacheValidationRuleLookups, grouping', () => {
  it("groups a class's rules by property once, and every object still gets its own errors", async () => {
    const global = getMetadataStorage();
    cacheValidationRuleLookups(global);
    const grouping = jest.spyOn(global, 'groupByPropertyName');
    const shipment = (email: string) =>
      Object.assign(new Shipment(), { to: Object.assign(new Contact(), { email }) });
    for (let round = 0; round < 3; round++) {
      const [error] = await validate(shipment('not-an-email'), {
        whitelist: true,
        forbidNonWhitelisted: true,
      });
      expect(error?.property).toBe('to');
      expect(error?.children?.map((child) => child.property)).toEqual(['email']);
      expect(await validate(shipment('a@example.test'), { whitelist: true })).toEqual([]);
    }
    const unknown = Object.assign(new Contact(), { email: 'a@example.test', extra: 1 });
    const [refused] = await validate(unknown, { whitelist: true, forbidNonWhitelisted: true });
    expect(refused?.property).toBe('extra');
    // Every object validated asks for its grouping (13 objects); the answers are one object per
    // class and lookup (Contact is looked up with other options as a nested object than on its own).
    const answers = new Set(grouping.mock.results.map((result) => result.value as object));
    expect(grouping.mock.calls.length).toBe(13);
    expect(answers.size).toBe(3);
  });
});
