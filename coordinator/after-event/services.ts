import type { CoordinatorDeps } from '../deps.ts';
import { FulfilmentService } from './fulfilment.ts';
import { LabDispatcher } from './lab-dispatcher.ts';
import { ReorderService } from './reorder-service.ts';
import { RetentionSweeper } from './retention.ts';

export interface AfterEventServices {
  reorders: ReorderService;
  fulfilment: FulfilmentService;
  /** Not started here: the composition root calls ready() (tests drive runOnce() by hand). */
  dispatcher: LabDispatcher;
  retention: RetentionSweeper;
  close(): void;
}

export function createAfterEventServices(deps: CoordinatorDeps): AfterEventServices | null {
  const ae = deps.afterEvent;
  if (!ae) return null;
  const full = { ...deps, afterEvent: ae };
  const dispatcher = new LabDispatcher({
    store: deps.store,
    reorders: ae.reorders,
    lab: ae.lab,
    payments: deps.payments,
    clock: deps.clock,
    random: deps.random,
    logger: deps.logger,
  });
  const retention = new RetentionSweeper(full);
  return {
    reorders: new ReorderService(full),
    fulfilment: new FulfilmentService(full, dispatcher),
    dispatcher,
    retention,
    close() {
      void dispatcher.close();
      void retention.close();
    },
  };
}
