import { randomId } from './ids';

describe('randomId', () => {
  it('answers distinct 96-bit ids across refills of its random bytes', () => {
    // Three refills of the 341-id pool and a partial one.
    const ids = Array.from({ length: 1_100 }, () => randomId('cus'));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^cus_[0-9a-f]{24}$/);
  });
});
