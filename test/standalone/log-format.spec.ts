import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/**
 * LOG_FORMAT=auto as a person and a log shipper meet it: a process logging through the gateway's
 * logger (`createLogger`, which nestjs-pino and the request log write through) with its stdout on a real
 * terminal (a pseudo-terminal from util-linux `script`) writes pino-pretty lines, and with stdout
 * on a pipe, or in production, JSON.
 */
describe('log format on a terminal and on a pipe', () => {
  let dir: string;
  let program: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'log-format-'));
    program = join(dir, 'log-line.ts');
    await writeFile(
      program,
      [
        `import { loadGatewayConfig } from '${join(root, 'libs/config/src/gateway.config')}';`,
        `import { createLogger } from '${join(root, 'libs/config/src/logging')}';`,
        'const logger = createLogger(loadGatewayConfig({ ...process.env, LOG_LEVEL: "info" }));',
        "logger.info({ customers: 2 }, 'hello from the test');",
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Runs the program with stdout on a pseudo-terminal (`script`) or on a pipe; its output lines. */
  async function logLines(stdout: 'terminal' | 'pipe', env: Record<string, string>): Promise<string[]> {
    const node = [
      process.execPath,
      ...['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', program],
    ];
    const command =
      stdout === 'pipe'
        ? node
        : // -e: the program's exit status; -q: no "Script started" banner; log file /dev/null.
          ['script', '-qec', node.map((part) => `'${part}'`).join(' '), '/dev/null'];
    const { stdout: output } = await run(command[0]!, command.slice(1), {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
    });
    // Without the colours and the terminal's carriage returns.
    return stripVTControlCharacters(output)
      .split(/\r?\n/)
      .filter((line) => line.includes('hello from the test'));
  }

  it('writes readable pino-pretty lines on a terminal outside production', async () => {
    const [line, ...more] = await logLines('terminal', { NODE_ENV: 'development' });
    expect(more).toEqual([]);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello from the test \{"customers":2\}$/);
  });

  it.each([
    ['on a pipe', 'pipe', 'development'],
    ['in production, even on a terminal', 'terminal', 'production'],
  ] as const)('writes JSON %s', async (_case, stdout, nodeEnv) => {
    const [line, ...more] = await logLines(stdout, { NODE_ENV: nodeEnv });
    expect(more).toEqual([]);
    expect(JSON.parse(line!)).toMatchObject({ level: 30, msg: 'hello from the test', customers: 2 });
  });
});
