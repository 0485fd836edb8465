export * from './record.js';
export * from './digest.js';
export * from './store.js';
export * from './lock.js';
