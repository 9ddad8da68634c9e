/// <reference lib="webworker" />
// Thin entry point: the encoder API runs off the main thread; vectors return as transferables.
import { expose } from 'comlink';
import { createEncoderWorkerApi } from '../src/encoder/encoder.api.ts';

expose(createEncoderWorkerApi());
