/** What the Fourier panel remembers across reloads (VS Code keeps it with setState). */
export interface FourierViewState {
  selectedNeuron?: number;
  band: [number, number];
  window: 'none' | 'hann';
  scale: 'power' | 'amplitude';
  /** Colours (and the spectrum's y axis) on a log scale: power spans several decades. */
  logColour: boolean;
}

export function isFourierViewState(x: unknown): x is FourierViewState {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  const band = s.band;
  return (
    (s.selectedNeuron === undefined || (typeof s.selectedNeuron === 'number' && Number.isInteger(s.selectedNeuron))) &&
    Array.isArray(band) &&
    band.length === 2 &&
    band.every((b) => typeof b === 'number' && b >= 0 && b <= 0.5) &&
    (band[0] as number) <= (band[1] as number) &&
    (s.window === 'none' || s.window === 'hann') &&
    (s.scale === 'power' || s.scale === 'amplitude') &&
    typeof s.logColour === 'boolean'
  );
}
