import { PLACEHOLDER } from '../src/index.js';
test('placeholder', () => expect(PLACEHOLDER).toBe('cli'));
