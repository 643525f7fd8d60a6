export const PLACEHOLDER = 'arm-vgic';
