export const PLACEHOLDER = 'xics';
