export const PLACEHOLDER = 'testing';
