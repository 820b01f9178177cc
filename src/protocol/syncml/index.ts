// SyncML 1.2 / OMA-DM 1.2 codec: the message model, the reader and the writer.
export * from './types.js';
export { parseSyncML, type ParseLimits } from './parse.js';
export { buildCommand, buildSyncML, byteLength, commandByteLength } from './build.js';
