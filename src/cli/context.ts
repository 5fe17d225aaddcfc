import type { Output } from './output';

export interface CommandContext {
  io: Output;
  /** The active compute backend. */
  backend: string;
  verbose: boolean;
}
