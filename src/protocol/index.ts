/** Every wire schema of the Hearth protocol (version `PROTOCOL_VERSION`). */
export * from './catalog.ts';
export * from './dap.ts';
export * from './errors.ts';
export * from './model.ts';
export * from './recommendation.ts';
export * from './round.ts';
export * from './strings.ts';
export * from './telemetry.ts';
export * from './update.ts';
export * from './version.ts';
