import { fc } from '@fast-check/jest';
import { SHORTCUTS, actionOf, move } from '../src/model/keys.js';

describe('the keyboard map', () => {
  test('every listed key has an action, and the common ones are what the page says', () => {
    for (const s of SHORTCUTS)
      for (const k of s.keys) expect(actionOf(k, false, false)).not.toBeNull();
    expect(actionOf('n', false, false)).toBe('step');
    expect(actionOf('b', false, false)).toBe('back');
    expect(actionOf('Home', true, false)).toBe('top');
    expect(actionOf('Home', false, false)).toBe('row-start');
    expect(actionOf('D', false, true)).toBe('prev-device');
    expect(actionOf('q', false, false)).toBeNull();
  });

  test('movement clamps to the grid', () => {
    expect(move({ row: 0, col: 0 }, 'up', 10, 4, 5)).toEqual({ row: 0, col: 0 });
    expect(move({ row: 9, col: 3 }, 'page-down', 10, 4, 5)).toEqual({ row: 9, col: 3 });
    expect(move({ row: 2, col: 1 }, 'row-end', 10, 4, 5)).toEqual({ row: 2, col: 3 });
    expect(move({ row: 2, col: 1 }, 'bottom', 10, 4, 5)).toEqual({ row: 9, col: 1 });
  });

  test('property: any sequence of moves stays inside the grid', () => {
    const acts = [
      'up',
      'down',
      'left',
      'right',
      'page-up',
      'page-down',
      'row-start',
      'row-end',
      'top',
      'bottom',
    ] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.constantFrom(...acts), { maxLength: 50 }),
        (rows, cols, page, seq) => {
          let f = { row: 0, col: 0 };
          for (const a of seq) {
            f = move(f, a, rows, cols, page);
            expect(f.row >= 0 && f.row < rows && f.col >= 0 && f.col < cols).toBe(true);
          }
        },
      ),
    );
  });
});
