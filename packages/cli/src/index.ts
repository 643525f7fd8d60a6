export const PLACEHOLDER = 'cli';
