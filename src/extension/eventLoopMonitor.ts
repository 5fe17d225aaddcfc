/**
 * Measures how long the extension host's event loop was blocked during a run (highlighting,
 * training). Everything heavy runs in the engine worker, so this should stay small; it is logged
 * so that tests and users can check that it does.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

export class EventLoopMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.histogram.enable();
  }

  /** Stops measuring; the longest delay in ms beyond the sampling interval itself. */
  stop(): number {
    this.histogram.disable();
    if (this.histogram.count === 0) return 0;
    return Math.max(0, Math.round(this.histogram.max / 1e6 - RESOLUTION_MS));
  }
}
