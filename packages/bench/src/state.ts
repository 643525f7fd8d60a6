import type { Figure } from './harness.js';

export async function stateFigures(): Promise<Figure[]> {
  return [];
}
