import { NestFactory } from '@nestjs/core';
import { Controller, Get, Module } from '@nestjs/common';
@Controller()
class H {
  @Get('/health') h() {
    return { ok: true };
  }
}
@Module({ controllers: [H] })
class M {}
async function main() {
  const app = await NestFactory.create(M);
  await app.listen(3999);
  console.log('up', process.version);
  await app.close();
}
void main();
