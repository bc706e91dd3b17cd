/**
 * Injection tokens for the database. The generated PrismaClient's type is a generic alias that
 * decorator metadata cannot name, so it is injected by token instead of by type.
 */
export const PRISMA_CLIENT = 'PRISMA_CLIENT';
export const DATABASE = 'DATABASE';
