/**
 * bench:api's stack floor: what the libraries the gateway is built on (NestJS on Fastify,
 * class-validator through Nest's ValidationPipe, axios, `pg`) cost per request before any of the
 * gateway's own code runs. Served in a process of its own (`bench/api.ts --stack-floor`), it checks
 * the API key in a guard, validates the gateway's own create DTO with the gateway's pipe options,
 * and runs the bare handler's statements and provider calls (api-baselines.ts), the calls through
 * axios with keep-alive agents as the adapters make them. Between the bare handler and this floor
 * lies the stack; between this floor and the gateway lies the gateway's own code: its HTTP edge,
 * events, call log, rules and answer.
 *
 * The same floor also runs on NestJS's Express platform (`platform: 'express'`), the gateway's
 * until 2026-12: that second floor shows what the move to Fastify bought the stack.
 * https://docs.nestjs.com/techniques/performance
 */
import 'reflect-metadata';
import { Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  UnauthorizedException,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import axios from 'axios';
import { Pool } from 'pg';

import { CreateCustomerBody } from '../apps/gateway/src/customers/customer-requests.dto';
import {
  type BaselineOptions,
  type BenchCustomer,
  bearerMatches,
  directCreates,
  INSERT_CUSTOMER,
  INSERT_LEASED_IN_BOTH,
  leasedInBothValues,
  SETTLE_IN_BOTH,
} from './api-baselines';

const OPTIONS = Symbol('stack floor options');
const POOL = Symbol('stack floor pool');

@Injectable()
class ApiKeyGuard implements CanActivate {
  private readonly authorized: (authorization: string | undefined) => boolean;

  constructor(@Inject(OPTIONS) options: BaselineOptions) {
    this.authorized = bearerMatches(options.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const { headers } = context.switchToHttp().getRequest<{ headers: { authorization?: string } }>();
    if (!this.authorized(headers.authorization)) throw new UnauthorizedException();
    return true;
  }
}

/** The gateway's own DTO, with the options of its RequestValidationPipe (apps/gateway/src/http/validators.ts). */
const createBody = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  expectedType: CreateCustomerBody,
});

@Controller('v1/customers')
class StackFloorController {
  private readonly http = axios.create({
    httpAgent: new Agent({ keepAlive: true }),
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxRedirects: 0,
    proxy: false,
  });

  constructor(
    @Inject(OPTIONS) private readonly options: BaselineOptions,
    @Inject(POOL) private readonly pool: Pool,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body(createBody) body: CreateCustomerBody): Promise<unknown> {
    const { rows } = await this.pool.query(INSERT_CUSTOMER, [
      randomUUID(),
      body.email,
      body.givenName,
      body.familyName,
    ]);
    return rows[0];
  }

  @Post('in-both')
  @HttpCode(201)
  async createInBoth(@Body(createBody) body: CreateCustomerBody): Promise<unknown> {
    // Only what the bench sends: the DTO instance has an own property, undefined, for every field.
    const { email, givenName, familyName, address } = body as unknown as BenchCustomer;
    const fields = { email, givenName, familyName, address: { ...address } };
    const id = randomUUID();
    await this.pool.query(INSERT_LEASED_IN_BOTH, leasedInBothValues(id, fields));
    const answers = await Promise.all(
      directCreates(this.options.targets, id, fields).map(({ url, headers, body: sent }) =>
        this.http.post<string>(url, sent, { headers }),
      ),
    );
    for (const answer of answers) {
      if (answer.status >= 300) throw new Error(`direct create answered ${answer.status}: ${answer.data}`);
    }
    const { rows } = await this.pool.query(SETTLE_IN_BOTH, [id, answers[1]?.data ?? '']);
    return { id, providers: rows };
  }
}

/** The HTTP platform a stack floor runs NestJS on: the gateway's (Fastify), or Express. */
export type StackFloorPlatform = 'express' | 'fastify';

/** Serves the stack floor on loopback; resolves to its URL. */
export async function serveStackFloor(
  options: BaselineOptions,
  platform: StackFloorPlatform,
): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new Pool({
    connectionString: options.databaseUrl,
    options: `-c search_path="${options.schema}"`,
    max: 10,
  });
  @Module({
    controllers: [StackFloorController],
    providers: [
      { provide: OPTIONS, useValue: options },
      { provide: POOL, useValue: pool },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
    ],
  })
  class StackFloorModule {}
  const app =
    platform === 'fastify'
      ? await NestFactory.create(StackFloorModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(StackFloorModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}
