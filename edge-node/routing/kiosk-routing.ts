/**
 * What a kiosk says about where to print (issue #16 item 2, issue #12 item 5): its own wait, a
 * nearby station with a clearly shorter queue when its own is long (before the fan hands in a code),
 * and, when no printer of this station can print, the nearest station that can. Pure: the node
 * gives it its own queue and its peers' (queue-board.ts); shared/policy/queue-routing.ts decides.
 */
import {
  expectedReadySeconds,
  formatEta,
  nearestWorkingStation,
  type RouteCandidate,
  type RouteOption,
  rankStations,
  suggestShorterQueue,
  travelSeconds,
} from '../../shared/policy/queue-routing.ts';
import type { StationQueueReport } from '../../shared/protocol/station-queue.ts';

/** The kiosk lists at most this many other stations. */
export const KIOSK_ROUTE_OPTIONS = 3;

export interface KioskRouting {
  here: { name: string; etaSeconds: number | null; canPrint: boolean; unitsWaiting: number };
  /** Somewhere a fan would be done clearly sooner (walk included), while the queue here is long. */
  suggestion: RouteOption | null;
  /** No printer here can print: the nearest station that can. */
  nearestWorking: RouteOption | null;
  /** Other working stations, best first. */
  others: RouteOption[];
  /** The line the attract screen shows, or null when there is nothing to say. */
  text: string | null;
}

function candidate(q: StationQueueReport, from: StationQueueReport): RouteCandidate {
  // The kiosk does not know the fan's photos before the code: every mesh station holds the
  // venue's photos within seconds of each other, so all count as holders here.
  return { ...q, holdsPhotos: true, travelSeconds: q.id === from.id ? 0 : travelSeconds(from.position, q.position) };
}

/** A one-print order's view from this kiosk. */
export function kioskRouting(here: StationQueueReport, peers: readonly StationQueueReport[]): KioskRouting {
  const self = candidate(here, here);
  const others = peers.filter((p) => p.id !== here.id).map((p) => candidate(p, here));
  const eta = expectedReadySeconds(here.queueWorkSeconds, here.workingPrinters, here.secondsPerPrint, 1);
  const nearestWorking = here.canPrint ? null : nearestWorkingStation(others);
  const suggestion = here.canPrint ? suggestShorterQueue(self, others, 1) : null;
  let text: string | null = null;
  if (!here.canPrint) {
    text = nearestWorking
      ? `This printer cannot print right now. Go to ${nearestWorking.name}: it is working (ready in ${formatEta(nearestWorking.etaSeconds)}).`
      : 'This printer cannot print right now. Please ask a member of staff.';
  } else if (suggestion) {
    text = `Busy here: ready in ${formatEta(eta)}. Shorter queue: go to ${suggestion.name} (${formatEta(suggestion.etaSeconds)}, walk included).`;
  } else if (here.unitsWaiting > 0) {
    text = `Ready here in ${formatEta(eta)}.`;
  }
  return {
    here: {
      name: here.name,
      etaSeconds: Number.isFinite(eta) ? Math.round(eta) : null,
      canPrint: here.canPrint,
      unitsWaiting: here.unitsWaiting,
    },
    suggestion,
    nearestWorking,
    others: rankStations(others, 1).slice(0, KIOSK_ROUTE_OPTIONS),
    text,
  };
}
