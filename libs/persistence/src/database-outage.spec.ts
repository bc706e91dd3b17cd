import { Prisma } from '../../../generated/prisma/client';
import { isDatabaseUnreachable } from './database-outage';

const prismaError = (code: string, message: string) =>
  new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: Prisma.prismaVersion.client });

describe('isDatabaseUnreachable', () => {
  it('takes a transaction that got no pooled connection within maxWait for a wait to retry', () => {
    // Seen under a load above what the pool serves (bench/soak.ts with the adapters' limits lifted):
    // every one of these answered 500 before.
    const error = prismaError(
      'P2028',
      'Transaction API error: Unable to start a transaction in the given time.',
    );
    expect(isDatabaseUnreachable(error)).toBe(true);
  });

  it("takes the pool's own acquire timeout and a lost server for the same", () => {
    expect(isDatabaseUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('gone'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnreachable(prismaError('P1001', "Can't reach database server"))).toBe(true);
  });

  it('leaves the other transaction errors and wrong statements to be bugs (500)', () => {
    expect(
      isDatabaseUnreachable(
        prismaError(
          'P2028',
          'Transaction API error: Transaction already closed: a commit cannot be executed.',
        ),
      ),
    ).toBe(false);
    expect(isDatabaseUnreachable(prismaError('P2002', 'Unique constraint failed'))).toBe(false);
    expect(isDatabaseUnreachable(new Error('syntax error at or near "SELEC"'))).toBe(false);
  });
});
