import type { Figure } from './harness.js';

export const stateUnits: Record<string, () => Promise<Figure[]>> = {};
