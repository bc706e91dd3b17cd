import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { SecretKeyring } from '@app/secrets';
import { PRISMA_CLIENT } from './prisma.tokens';

/** The keyring secrets are sealed with (SECRETS_ENCRYPTION_KEYS), provided by the app. */
export const SECRET_KEYRING = 'SECRET_KEYRING';

/** A client or an open transaction: the store's writes can join the caller's transaction. */
type Db = PrismaClient | Prisma.TransactionClient;

/** Prisma keeps timestamps as UTC `timestamp(3)`; the database clock is compared in the same terms. */
const NOW = Prisma.raw(`(now() AT TIME ZONE 'UTC')`);

/**
 * The one place secrets the gateway must read back are kept: webhook signing secrets now,
 * providers' inbound webhook secrets too. Each is sealed (secret-envelope.ts) bound to its owner and
 * version, so neither a copied ciphertext nor a row moved between owners opens. An owner holds one
 * current version and, while a rotation's overlap lasts, the versions before it.
 */
@Injectable()
export class SecretStore implements OnApplicationBootstrap {
  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(SECRET_KEYRING) private readonly keyring: SecretKeyring,
  ) {}

  /** Re-seals under the current key what older keys sealed: the second step of a key rotation. */
  async onApplicationBootstrap(): Promise<void> {
    await this.reseal();
  }

  /**
   * Makes `value` the owner's current secret. Versions before it stay valid until
   * `previousValidUntil` (at the latest: an earlier, shorter overlap is kept), or stop at once when
   * it is undefined.
   */
  async put(owner: string, value: string, previousValidUntil?: Date, db: Db = this.prisma): Promise<void> {
    const [latest] = await db.$queryRaw<{ version: number | null }[]>`
      SELECT max(version) AS version FROM secrets WHERE owner = ${owner}`;
    const version = (latest?.version ?? 0) + 1;
    if (previousValidUntil === undefined) {
      await db.secret.deleteMany({ where: { owner } });
    } else {
      await db.$executeRaw`
        DELETE FROM secrets WHERE owner = ${owner} AND expires_at <= ${NOW}`;
      await db.$executeRaw`
        UPDATE secrets SET expires_at = LEAST(COALESCE(expires_at, ${previousValidUntil}), ${previousValidUntil})
         WHERE owner = ${owner}`;
    }
    await db.secret.create({
      data: {
        owner,
        version,
        sealed: this.keyring.seal(value, contextOf(owner, version)),
        keyId: this.keyring.currentKeyId,
      },
    });
  }

  /** The owner's valid secrets, newest first: the current one, then any still in their overlap. */
  async valid(owner: string, db: Db = this.prisma): Promise<string[]> {
    const rows = await db.$queryRaw<{ version: number; sealed: string }[]>`
      SELECT version, sealed FROM secrets
       WHERE owner = ${owner} AND (expires_at IS NULL OR expires_at > ${NOW})
       ORDER BY version DESC`;
    return rows.map((row) => this.keyring.open(row.sealed, contextOf(owner, row.version)));
  }

  async remove(owner: string, db: Db = this.prisma): Promise<void> {
    await db.secret.deleteMany({ where: { owner } });
  }

  /**
   * Seals again under the current key every secret an older key sealed; how many. Each row is
   * replaced only if unchanged since read, so instances starting together do not clash.
   */
  async reseal(): Promise<number> {
    const stale = await this.prisma.secret.findMany({
      where: { keyId: { not: this.keyring.currentKeyId } },
      select: { owner: true, version: true, sealed: true },
    });
    let resealed = 0;
    for (const row of stale) {
      const context = contextOf(row.owner, row.version);
      const { count } = await this.prisma.secret.updateMany({
        where: { owner: row.owner, version: row.version, sealed: row.sealed },
        data: {
          sealed: this.keyring.seal(this.keyring.open(row.sealed, context), context),
          keyId: this.keyring.currentKeyId,
        },
      });
      resealed += count;
    }
    return resealed;
  }
}

/** What a sealed value is bound to (its additional authenticated data). */
function contextOf(owner: string, version: number): string {
  return `${owner}#${version}`;
}
