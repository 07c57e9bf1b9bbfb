export * from './shamir.js';
export * from './mask.js';
export * from './graph.js';
export * from './discrete-gaussian.js';
export * from './x25519.js';
