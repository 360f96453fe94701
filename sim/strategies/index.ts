/** The strategies model mode knows by name; add yours here (and to StrategyName in results-schema.ts). */
import type { StrategyName } from '../results-schema.ts';
import type { Scenario } from '../scenario.ts';
import { MeshStrategy } from './mesh.ts';
import { OnDemandStrategy } from './on-demand.ts';
import { StarPeriodicStrategy } from './star-periodic.ts';
import type { Strategy } from './strategy.ts';

export const STRATEGY_NAMES: readonly StrategyName[] = ['star-periodic', 'on-demand', 'mesh'];

export function createStrategy(name: StrategyName, scenario: Scenario): Strategy {
  switch (name) {
    case 'star-periodic':
      return new StarPeriodicStrategy();
    case 'on-demand':
      return new OnDemandStrategy();
    case 'mesh':
      return new MeshStrategy(scenario);
  }
}
