/**
 * The engine's error types live in src/shared/errors.ts, because the pure parsers in src/shared
 * (features of interest) throw them too and the extension must not load engine code; engine
 * modules keep importing them from here.
 */
export { CancelledError, NeuronLensError, type NeuronLensErrorCode, isNeuronLensError, throwIfAborted } from '../shared/errors';
