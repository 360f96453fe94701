/**
 * Fan routing (issue #16 item 2): which print station a fan should walk to. Each station publishes
 * its queue (printer-seconds of work waiting, printers working, whether it can print at all) to its
 * LAN peers and to the coordinator; the fan's order page, every kiosk and the simulator rank the
 * stations with these functions, so all three send a fan to the same place.
 *
 * The estimate: a station with `w` working printers and `Q` printer-seconds of work ahead of the fan
 * starts the fan's prints after about Q / w seconds (the printers share the queue), and prints the
 * fan's `u` units in ceil(u / w) rounds of its print time. Walking there adds the travel time.
 * Only stations that hold all the fan's photos are offered while any does (one that must fetch them
 * first is slower in a way no queue shows); ties (within ROUTE_TIE_SECONDS) go to the nearer station.
 */

/** Estimates closer than this are equal: the queue figures are not better than a second. */
export const ROUTE_TIE_SECONDS = 1;
/**
 * What a print costs a station that did not render the fan's photo ahead: the render at the scan
 * (~110–230 ms for a 5 MB master, partly hidden behind the claim), added to its estimate.
 */
export const RENDER_AT_SCAN_SECONDS = 0.2;
/** Walking speed in a crowded venue, for travel time between station positions. */
export const WALKING_METRES_PER_SECOND = 1.0;
/** A kiosk suggests another station only if the fan would be done at least this much sooner there… */
export const SUGGEST_MIN_SAVING_SECONDS = 30;
/** …and only when its own queue is at least this long (a short wait is not worth a walk). */
export const SUGGEST_LONG_QUEUE_SECONDS = 45;

export interface StationPosition {
  /** Metres on the venue plan (any origin, the same for every station of the venue). */
  x: number;
  y: number;
}

/** One station's queue as it publishes it (shared/protocol/station-queue.ts is its wire shape). */
export interface StationQueue {
  id: string;
  name: string;
  /** Printer-seconds of work waiting: units waiting × measured print time, plus what is left of prints in progress. */
  queueWorkSeconds: number;
  /** Measured (or configured) seconds per print, mean over its working printers. */
  secondsPerPrint: number;
  /** Printers of the station that can print now. */
  workingPrinters: number;
  /** False when no printer of the station can print (the kiosk takes no codes). */
  canPrint: boolean;
  /** Where the station stands, when the operator entered it. */
  position?: StationPosition | null;
}

export interface RouteCandidate extends StationQueue {
  /** Holds every photo of the fan's order whole (from its have-list). */
  holdsPhotos: boolean;
  /**
   * Renders the fan's order ahead (shared/policy/prerender-stations.ts). False: its estimate includes
   * the render at the scan (RENDER_AT_SCAN_SECONDS), so of stations otherwise as soon the fan goes
   * where his print needs none. Unknown (undefined): no render is counted.
   */
  rendersAhead?: boolean;
  /** Seconds to walk there from where the fan is (0 for the station the fan stands at, or unknown). */
  travelSeconds: number;
}

export interface RouteOption {
  id: string;
  name: string;
  /** Seconds until the fan's prints are out there, walking included. */
  etaSeconds: number;
  travelSeconds: number;
  holdsPhotos: boolean;
}

/** Walking time between two stations; 0 when either position is unknown (then only queues decide). */
export function travelSeconds(
  from: StationPosition | null | undefined,
  to: StationPosition | null | undefined,
): number {
  if (!from || !to) return 0;
  return Math.hypot(from.x - to.x, from.y - to.y) / WALKING_METRES_PER_SECOND;
}

/** Seconds until a station starts on a fan's prints; Infinity when it has no working printer. */
export function expectedWaitSeconds(queueWorkSeconds: number, workingPrinters: number, travel = 0): number {
  if (workingPrinters <= 0) return Number.POSITIVE_INFINITY;
  return travel + Math.max(0, queueWorkSeconds) / workingPrinters;
}

/**
 * Seconds until a fan's `ownUnits` prints are out at a station: its wait plus ceil(units / printers)
 * print times. The simulator calls this per printer on every scan, so it takes plain numbers.
 */
export function expectedReadySeconds(
  queueWorkSeconds: number,
  workingPrinters: number,
  secondsPerPrint: number,
  ownUnits: number,
  travel = 0,
): number {
  const wait = expectedWaitSeconds(queueWorkSeconds, workingPrinters, travel);
  if (!Number.isFinite(wait)) return wait;
  return wait + Math.ceil(Math.max(0, ownUnits) / workingPrinters) * secondsPerPrint;
}

/**
 * True when a station with estimate `etaA` (walk `travelA`) should be preferred over one with `etaB`
 * (walk `travelB`): clearly sooner, or as soon within ROUTE_TIE_SECONDS and nearer.
 */
export function isBetterRoute(etaA: number, travelA: number, etaB: number, travelB: number): boolean {
  if (!Number.isFinite(etaA)) return false;
  if (!Number.isFinite(etaB)) return true;
  if (etaA < etaB - ROUTE_TIE_SECONDS) return true;
  if (etaA > etaB + ROUTE_TIE_SECONDS) return false;
  return travelA < travelB;
}

/**
 * Every station that can print, best first: holders of the fan's photos (if any station holds them
 * all), by estimate (a render at the scan included where known), ties by distance, then the sooner
 * estimate, then by name. Stations that cannot print are left out.
 */
export function rankStations(candidates: readonly RouteCandidate[], ownUnits: number): RouteOption[] {
  const working = candidates.filter((c) => c.canPrint && c.workingPrinters > 0);
  const holders = working.filter((c) => c.holdsPhotos);
  const pool = holders.length > 0 ? holders : working;
  const options = pool.map((c) => ({
    id: c.id,
    name: c.name,
    etaSeconds:
      expectedReadySeconds(c.queueWorkSeconds, c.workingPrinters, c.secondsPerPrint, ownUnits, c.travelSeconds) +
      (c.rendersAhead === false ? RENDER_AT_SCAN_SECONDS : 0),
    travelSeconds: c.travelSeconds,
    holdsPhotos: c.holdsPhotos,
  }));
  options.sort((a, b) => {
    if (isBetterRoute(a.etaSeconds, a.travelSeconds, b.etaSeconds, b.travelSeconds)) return -1;
    if (isBetterRoute(b.etaSeconds, b.travelSeconds, a.etaSeconds, a.travelSeconds)) return 1;
    return a.etaSeconds - b.etaSeconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
  return options;
}

/** The station to send the fan to, or null when none can print. */
export function chooseStation(candidates: readonly RouteCandidate[], ownUnits: number): RouteOption | null {
  return rankStations(candidates, ownUnits)[0] ?? null;
}

/**
 * At a kiosk with a long queue: a nearby station where the fan would be done clearly sooner, or null
 * (stay). `here` is the kiosk's own station (travel 0), `others` its peers with their walk from here.
 */
export function suggestShorterQueue(
  here: RouteCandidate,
  others: readonly RouteCandidate[],
  ownUnits: number,
): RouteOption | null {
  const hereEta = expectedReadySeconds(here.queueWorkSeconds, here.workingPrinters, here.secondsPerPrint, ownUnits, 0);
  if (!isLongQueue(hereEta)) return null;
  const best = chooseStation(
    others.filter((o) => o.id !== here.id && (o.holdsPhotos || !here.holdsPhotos)),
    ownUnits,
  );
  return best && isWorthTheWalk(hereEta, best.etaSeconds) ? best : null;
}

/** Whether a kiosk whose fans would be done in `hereEta` seconds looks for a shorter queue at all. */
export function isLongQueue(hereEta: number): boolean {
  return !Number.isFinite(hereEta) || hereEta >= SUGGEST_LONG_QUEUE_SECONDS;
}

/**
 * Whether the kiosk names a station where the fan would be done in `thereEta` (walk included) rather
 * than here (`hereEta`). The simulator calls this with plain numbers for every arrival at a long queue.
 */
export function isWorthTheWalk(hereEta: number, thereEta: number): boolean {
  if (!Number.isFinite(thereEta)) return false;
  return !Number.isFinite(hereEta) || hereEta - thereEta >= SUGGEST_MIN_SAVING_SECONDS;
}

/**
 * For a station that cannot print at all: the nearest station that can (by walking distance, then by
 * its wait, then by name), to name on the kiosk instead of "use another print station". Null when
 * no other station can print.
 */
export function nearestWorkingStation(others: readonly RouteCandidate[]): RouteOption | null {
  const working = others.filter((o) => o.canPrint && o.workingPrinters > 0);
  if (working.length === 0) return null;
  const options = working.map((o) => ({
    id: o.id,
    name: o.name,
    etaSeconds: expectedReadySeconds(o.queueWorkSeconds, o.workingPrinters, o.secondsPerPrint, 1, o.travelSeconds),
    travelSeconds: o.travelSeconds,
    holdsPhotos: o.holdsPhotos,
  }));
  options.sort(
    (a, b) =>
      a.travelSeconds - b.travelSeconds ||
      a.etaSeconds - b.etaSeconds ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return options[0]!;
}

/** "about 20 s" / "about 2 min": how the hint names an estimate. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const s = Math.max(1, Math.round(seconds));
  if (s < 90) return `about ${s} s`;
  return `about ${Math.round(s / 60)} min`;
}
