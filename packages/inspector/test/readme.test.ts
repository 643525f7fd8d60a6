import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHORTCUTS } from '../src/model/keys.js';

describe('the README', () => {
  test("its keyboard table is the page's keyboard map, row for row", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Keyboard'),
      readme.indexOf('The grid is one element'),
    );
    const rows = table
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.map((r) => [r[1], r[2]])).toEqual(SHORTCUTS.map((s) => [`\`${s.label}\``, s.what]));
  });
});
