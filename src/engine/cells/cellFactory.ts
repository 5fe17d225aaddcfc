import { GruCell } from './gruCell';
import { LstmCell } from './lstmCell';
import type { CellConfig, CellWeight, CellWeights, ComponentInfo, RecurrentCell } from './recurrentCell';
import { RnnCell } from './rnnCell';

export function createCell(config: CellConfig, weights: CellWeights): RecurrentCell {
  switch (config.kind) {
    case 'rnn':
      return new RnnCell(config, weights);
    case 'lstm':
      return new LstmCell(config, weights);
    case 'gru':
      return new GruCell(config, weights);
  }
}

export function cellWeightSpecs(config: CellConfig): CellWeight[] {
  return CELL_CLASSES[config.kind].weightSpecs(config);
}

/** Number of gate blocks in the projection (1, 4 or 3). */
export function gateCount(config: Pick<CellConfig, 'kind'>): number {
  return config.kind === 'lstm' ? 4 : config.kind === 'gru' ? 3 : 1;
}

const CELL_CLASSES = { rnn: RnnCell, lstm: LstmCell, gru: GruCell } as const;

export function cellComponents(config: Pick<CellConfig, 'kind'>): readonly ComponentInfo[] {
  return CELL_CLASSES[config.kind].components;
}
