export * from './clock.ts';
export * from './envelope.ts';
export * from './errors.ts';
export * from './files.ts';
export * from './ids.ts';
export * from './keys.ts';
export * from './schemas.ts';
export * from './sync.ts';
