export const PLACEHOLDER = 'mpic';
