import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { readmeWithConfigurationTables, undocumentedVariables } from '../../../scripts/config-table';

// The README's configuration table is written from the schema (`npm run config:table`); CI runs
// the same check with `npm run config:table -- --check`.
describe("the README's configuration table", () => {
  it('is the one the configuration schema gives (run `npm run config:table`)', async () => {
    const readme = await readFile(resolve(__dirname, '../../../README.md'), 'utf8');
    expect(await readmeWithConfigurationTables(readme)).toBe(readme);
  });

  it('documents every environment variable the code in apps/ and libs/ reads', async () => {
    expect(await undocumentedVariables()).toEqual([]);
  });
});
