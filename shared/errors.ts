/**
 * The one registry of error codes. A code is stable and machine-readable (clients, the kiosk and the
 * shop branch on it); `status` is the HTTP status the coordinator and the edge node's local API
 * answer with; `message` is the default sentence a person can act on (a call site may give a more
 * specific one). A code that is not here does not compile.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const ERRORS = {
  // --- HTTP and input ---
  internal_error: { status: 500, message: 'Something went wrong on our side; it has been logged. Please retry.' },
  route_not_found: { status: 404, message: 'There is no such address; check the link.' },
  method_not_allowed: { status: 405, message: 'This method is not accepted here.' },
  bad_request: { status: 400, message: 'The request could not be read; check its format.' },
  body_malformed: { status: 400, message: 'The request body is not valid JSON or form data; check its format.' },
  body_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'This content type is not accepted here.' },
  invalid_input: { status: 400, message: 'Some input is not valid; the details name the fields to fix.' },
  asset_not_found: { status: 404, message: 'No such file.' },
  cross_site_refused: {
    status: 403,
    message: 'This change did not come from a page of this site; reload the page and try again.',
  },
  host_not_allowed: {
    status: 421,
    message: 'This printer answers only to its own address (localhost or a configured name).',
  },
  port_in_use: { status: 500, message: 'The port is already in use: stop the other program or choose another port.' },
  port_unavailable: { status: 500, message: 'This address or port cannot be used here: choose another one.' },
  too_many_streams: { status: 503, message: 'Live updates are busy right now; the page will check by itself.' },

  config_invalid: { status: 400, message: 'The configuration is not valid; the message names the setting.' },

  // --- authentication and credentials ---
  auth_required: { status: 401, message: 'Sign in at /signin, or send "Authorization: Bearer <token>".' },
  auth_invalid: { status: 401, message: 'This token is unknown or revoked: sign in with a current one.' },
  role_forbidden: { status: 403, message: 'Your role does not allow this.' },
  credential_not_found: { status: 404, message: 'No credential with this id.' },
  last_operator: {
    status: 409,
    message: 'This is the last operator credential: create another operator token first.',
  },
  printer_auth_missing: { status: 401, message: 'This request must be signed with the printer key.' },
  printer_auth_malformed: { status: 401, message: 'The printer signature headers are malformed.' },
  printer_auth_stale: { status: 401, message: "The printer's clock is too far off: set its time and retry." },
  printer_auth_replayed: {
    status: 401,
    message: 'This signed request was already received once; each request must be signed anew.',
  },
  printer_auth_bad_signature: { status: 401, message: 'The printer signature does not match the request.' },

  // --- venues, events, images, uploads ---
  venue_not_found: { status: 404, message: 'This venue does not exist.' },
  venue_missing: { status: 500, message: 'The venue of this printer is missing.' },
  event_not_found: { status: 404, message: 'This event does not exist.' },
  event_missing: { status: 500, message: 'The order’s event is missing.' },
  image_not_found: { status: 404, message: 'This photo does not exist at this event.' },
  media_not_found: { status: 404, message: 'No such image.' },
  image_corrupt: { status: 422, message: 'The image is damaged or truncated; export it again.' },
  image_too_large: { status: 413, message: 'The image file is too large; export it at a smaller size.' },
  image_too_many_pixels: { status: 413, message: 'The image has too many pixels; export it at a smaller size.' },
  image_too_small: { status: 422, message: 'The image is too small to print; send a larger one.' },
  unsupported_image_type: { status: 415, message: 'Only JPEG and PNG images are accepted (checked by content).' },
  not_multipart: { status: 400, message: 'Send the image as multipart/form-data.' },
  malformed_multipart: { status: 400, message: 'The upload could not be read as multipart/form-data; send it again.' },
  no_file: { status: 400, message: 'The upload contains no file; attach the image in a file field.' },
  upload_too_large: { status: 413, message: 'A file is larger than the upload limit; export it at a smaller size.' },
  too_many_uploads: {
    status: 429,
    message: 'Too many uploads are being processed right now; this one is retried in a few seconds.',
  },
  upload_aborted: { status: 400, message: 'The upload was interrupted; send it again.' },
  too_many_files: { status: 400, message: 'Too many files in one request; send fewer at a time.' },
  too_many_fields: { status: 400, message: 'Too many form fields in one request.' },
  field_too_large: { status: 413, message: 'A form field is too long.' },
  qr_frame_malformed: { status: 400, message: 'This camera frame is not a picture.' },
  empty_master: { status: 400, message: 'The photo has no bytes to append.' },

  // --- feeds ---
  feed_closed: { status: 503, message: 'The event feed is closing; retry later.' },
  feeds_closed: { status: 503, message: 'Event feeds are closing; retry later.' },
  feed_key_mismatch: {
    status: 500,
    message: 'The stored feed keys do not come from the event feed seed; derive them again.',
  },
  invalid_feed_seed: { status: 500, message: 'The event has no valid 32-byte hex feed seed.' },
  event_feed_unavailable: { status: 503, message: 'This printer cannot open the event feed yet; retry shortly.' },

  // --- orders, payment ---
  too_many_orders: {
    status: 429,
    message: 'Too many orders from this network right now; wait a few seconds and try again.',
  },
  order_not_found: { status: 404, message: 'This order does not exist.' },
  order_not_paid: { status: 409, message: 'The QR code is issued once the payment is confirmed.' },
  order_too_large: { status: 422, message: 'This order has too many prints; split it into smaller orders.' },
  too_many_copies: { status: 422, message: 'Too many copies of one photo.' },
  image_not_in_event: { status: 422, message: 'A photo in this order is not for sale at this event.' },
  amount_mismatch: { status: 422, message: 'The paid amount does not match the order total.' },
  payments_not_configured: {
    status: 503,
    message: 'This shop cannot take payments right now: no payment provider is configured. Ask the venue staff.',
  },
  refund_failed: {
    status: 502,
    message: 'The payment provider did not accept the refund; it must be refunded by hand.',
  },
  checkout_not_found: { status: 404, message: 'This checkout session does not exist.' },
  webhook_malformed: { status: 400, message: 'Webhook body is not a payment event.' },
  webhook_signature_invalid: { status: 401, message: 'Webhook signature does not match its body.' },
  webhook_signature_missing: { status: 401, message: 'Webhook signature header is missing or malformed.' },
  webhook_stale: { status: 401, message: 'Webhook timestamp is outside the tolerance window (possible replay).' },
  webhook_undelivered: {
    status: 502,
    message: 'The payment was recorded but the shop did not answer; it will be retried.',
  },
  // A verified provider event this shop does not act on (another event type, an async payment still
  // pending): 2xx, because a provider retries anything else for days.
  webhook_ignored: {
    status: 200,
    message: 'This payment-provider event needs no action here; it is acknowledged so the provider stops resending it.',
  },
  payment_provider_unavailable: {
    status: 503,
    message: 'The payment provider cannot be reached right now; try again in a minute or pay another way.',
  },
  payment_provider_refused: {
    status: 502,
    message: 'The payment provider refused the request; the coordinator log names the reason.',
  },

  // --- card-present payment (card terminal port) ---
  card_reader_offline: {
    status: 503,
    message: 'The card reader is offline: check its power and network, or pay by phone.',
  },
  card_reader_busy: {
    status: 409,
    message: 'The card reader is busy with another payment; finish or cancel it first.',
  },
  card_reader_not_found: {
    status: 404,
    message: 'The payment provider does not know this card reader; check the station configuration.',
  },
  card_payment_not_found: { status: 404, message: 'This card payment does not exist.' },
  card_payment_wrong_state: {
    status: 409,
    message: 'This card payment cannot do that now (capture before authorisation, or after it was voided).',
  },

  // --- kiosk sales (issue #13) ---
  card_terminal_not_configured: {
    status: 503,
    message: 'Card payment is not set up at this venue; pay by phone or ask the staff.',
  },
  card_reader_not_configured: {
    // A card sale asked of a station without a reader: its setup's mistake, not the coordinator's.
    status: 400,
    message:
      "Card payment is not set up at this station: pay by phone instead. (Operators: assign this printer a card reader on the console's Printers page.)",
  },
  card_reader_not_assigned: {
    status: 403,
    message:
      "This station names a card reader (cardReaderId) that is not the one assigned to it. Operators: assign the station's reader on the console's Printers page (PUT /api/printers/:id/card-reader), or correct cardReaderId in the station's config.",
  },
  card_reader_taken: {
    status: 409,
    message: 'This card reader is assigned to another printer already; unassign it there first.',
  },
  card_not_waiting: { status: 409, message: 'No payment is waiting for a card on this reader.' },
  sale_not_found: { status: 404, message: 'This kiosk sale does not exist.' },
  sale_not_cancellable: { status: 409, message: 'This sale is already paid and printing; it cannot be cancelled now.' },
  sale_not_refundable: {
    status: 409,
    message:
      'This sale has taken no money to give back: only a paid phone sale or a captured card sale can be refunded.',
  },
  sale_idempotency_mismatch: {
    status: 409,
    message: 'This request repeats an earlier sale with a different basket; start a new basket.',
  },
  kiosk_sales_unavailable: {
    status: 503,
    message: 'This coordinator was started without a kiosk sale store; kiosks can browse but not sell.',
  },
  payment_needs_network: {
    status: 503,
    message: 'Card and phone payment need the network; browsing works.',
  },
  basket_empty: { status: 400, message: 'Pick at least one photo first.' },

  // --- redemption ---
  token_malformed: { status: 400, message: 'This is not a redemption code from this system.' },
  token_unsupported_version: { status: 400, message: 'This code was made by a newer version; update the printer.' },
  token_unknown_key: { status: 400, message: 'This code was not signed by this system.' },
  token_bad_signature: { status: 400, message: 'This code has been altered; scan the original QR code.' },
  token_expired: { status: 410, message: 'This code has expired; ask staff for help.' },
  order_already_printed: { status: 409, message: 'This order was already printed; each code prints once.' },
  order_claimed_elsewhere: { status: 409, message: 'This order is being printed at another printer right now.' },
  order_other_venue: { status: 403, message: 'This order is for another venue; it cannot be printed here.' },
  claim_not_held: {
    status: 409,
    message: 'This printer does not hold the claim on this order; redeem it again.',
  },
  unit_out_of_range: { status: 422, message: 'This print does not exist in the order.' },
  nothing_to_release: { status: 409, message: 'The order is not being printed anywhere.' },
  print_not_found: { status: 404, message: 'No such print of an order redeemed here.' },
  too_many_code_attempts: {
    status: 429,
    message: 'Too many typed codes matched no order at this printer; wait a little, or scan the QR code instead.',
  },
  typed_code_unsupported: { status: 502, message: 'The coordinator cannot redeem typed codes; scan the QR code.' },
  typed_code_needs_network: {
    status: 503,
    message: 'Typed codes need the network right now; scan the QR code instead.',
  },

  // --- printers (coordinator side) ---
  printer_not_found: { status: 404, message: 'No printer with this key.' },
  printer_not_paired: { status: 403, message: 'This printer is not paired: ask an operator to pair it.' },
  printer_revoked: { status: 403, message: 'This printer was revoked by an operator.' },
  printer_already_paired: { status: 409, message: 'A printer with this key is paired already; revoke it first.' },
  report_too_large: { status: 413, message: 'Status reports are at most 64 KiB.' },
  conflict_not_found: { status: 404, message: 'There is no conflict with this id: reload the list.' },

  // --- edge node: uplink, offline, mesh ---
  coordinator_unreachable: {
    status: 503,
    message: 'The coordinator cannot be reached; the printer keeps trying by itself.',
  },
  coordinator_error: { status: 502, message: 'The coordinator answered with an error this printer does not know.' },
  // Neither is an uplink failure (shared/policy/offline-claim-rule.ts): the coordinator was reached,
  // so the offline path must not start (it may have granted the claim).
  coordinator_answer_invalid: {
    status: 500,
    message:
      'The coordinator answered in a form this printer does not understand; update the printer or the coordinator.',
  },
  coordinator_answer_unreadable: {
    status: 503,
    message: 'The coordinator’s answer broke off before it was complete; try again.',
  },
  offline_unavailable: {
    status: 503,
    message:
      'The cloud cannot be reached and this printer has no list of paid orders: it cannot redeem codes until the connection is back.',
  },
  order_not_known_offline: {
    status: 503,
    message:
      'The cloud cannot be reached and this order is not yet known here (paid moments ago, or for another venue). Try again shortly, or at another printer.',
  },
  offline_isolated: {
    status: 503,
    message: 'This printer cannot reach the cloud or any other printer; it does not redeem codes alone.',
  },
  offline_isolated_limit: {
    status: 503,
    message: 'This printer has printed as many orders alone as it may; try again when the network is back.',
  },
  image_not_in_feed: { status: 504, message: 'The photo is not on the event feed yet; try again in a minute.' },
  image_unavailable: {
    status: 504,
    message: 'The photo could not be fetched from any printer or the cloud in time.',
  },
  image_fetch_corrupt: {
    status: 502,
    message: 'The photo arrived but does not match its checksum; it was not printed.',
  },
  image_mismatch: {
    status: 502,
    message: 'The feed and the coordinator disagree about this photo; it was not printed.',
  },
  thumbnail_not_ready: { status: 404, message: 'This photo is not on this printer yet.' },
  fetch_aborted: { status: 499, message: 'The fetch was cancelled.' },
  shutting_down: { status: 503, message: 'The printer is shutting down; the order resumes on restart.' },
  hypercore_internals_changed: {
    status: 500,
    message: 'This Hypercore version differs from the pinned one the printer was built for: reinstall with npm ci.',
  },
  storage_full: {
    status: 507,
    message: 'The disk of this printer is full: free some space; printing and sync resume by themselves.',
  },

  // --- edge node: printing ---
  printer_closed: { status: 503, message: 'The printer port was closed before the job finished.' },
  print_aborted: { status: 409, message: 'The print job was cancelled.' },
  print_image_unreadable: {
    status: 422,
    message: 'The photo could not be decoded for printing; fetch the print master again.',
  },
  printer_width_invalid: {
    status: 400,
    message: 'The printer width must be a supported number of dots (576 for 80 mm, 384 for 58 mm paper).',
  },
  printer_paper_out: { status: 503, message: 'The printer is out of paper; staff are on their way.' },
  printer_cover_open: { status: 503, message: 'The printer cover is open; staff are on their way.' },
  printer_offline: { status: 503, message: 'The printer is offline; try another printer.' },
  printer_error: { status: 503, message: 'The printer reports a fault; try another printer.' },
  printer_printing: { status: 503, message: 'The printer is busy; wait a moment.' },

  // --- edge node: IPP photo stations (edge-node/printing/) ---
  ipp_request_failed: { status: 502, message: 'The photo printer refused the request; check it and its queue.' },
  ipp_http_error: { status: 502, message: 'The photo printer answered with an HTTP error.' },
  ipp_malformed: { status: 502, message: 'The photo printer sent an IPP message this node cannot read.' },
  ipp_value_too_long: { status: 400, message: 'An IPP attribute value is longer than IPP allows.' },
  printer_unreachable: { status: 503, message: 'The photo printer cannot be reached; check its power and network.' },
  printer_uri_invalid: {
    status: 400,
    message: 'A printer URI must look like ipp://host:631/printers/NAME or ipp://host/ipp/print.',
  },
  station_printer_unknown: {
    status: 404,
    message: 'This print station has no photo printer of that name; GET /status lists its printers.',
  },
  printer_media_invalid: { status: 400, message: 'The media must be a PWG media name such as na_index-4x6_4x6in.' },
  printer_config_invalid: {
    status: 400,
    message: 'The printer configuration is not valid; the message names the key.',
  },
  photo_unreadable: { status: 422, message: 'The photo could not be decoded for printing.' },
  pwg_bad_page: { status: 400, message: 'A PWG raster page header is not valid.' },
  pwg_bad_sync: { status: 400, message: 'This is not a PWG raster stream.' },
  station_empty: { status: 503, message: 'This print station has no photo printer configured.' },

  // --- store ---
  store_conflict: { status: 409, message: 'A record with this key exists already.' },
  resource_not_ready: { status: 503, message: 'This part is not open (yet, or any more); retry shortly.' },
  dht_bootstrap_failed: { status: 500, message: 'The DHT bootstrap node could not start; check its host and port.' },
  upload_rejected: { status: 422, message: 'The coordinator refused this file; it will not be retried.' },
  store_contended: { status: 503, message: 'The record kept changing under concurrent updates; retry the request.' },
  store_not_ready: { status: 503, message: 'The store is not open yet; retry shortly.' },
  store_unavailable: { status: 503, message: 'The database cannot be reached; retry shortly.' },
  store_schema_too_new: {
    status: 500,
    message: 'The database was written by a newer version of the coordinator; upgrade this coordinator.',
  },

  // --- after the event: reorders, downloads, lab (issue #15) ---
  reorder_not_found: { status: 404, message: 'There is no order at this address; check that the link is complete.' },
  reorder_window_closed: {
    status: 410,
    message: 'Reorders for this event have closed; the photos are no longer for sale.',
  },
  reorder_invalid: { status: 400, message: 'This order cannot be placed as it is; the message says what to change.' },
  address_invalid: {
    status: 400,
    message: 'The shipping address is not complete; the details name the fields to fix.',
  },
  reorder_not_refundable: { status: 409, message: 'This order cannot be refunded in its current state.' },
  reorder_in_flight: {
    status: 409,
    message: 'This order is being printed or shipped; its data can be erased once it has been delivered.',
  },
  download_not_found: { status: 404, message: 'This download link is not valid; open your order page for a new one.' },
  download_expired: { status: 410, message: 'This download link has expired.' },
  download_used_up: { status: 410, message: 'This download link has been used as often as it allows.' },
  lab_package_invalid: { status: 500, message: 'The print package for the lab could not be built; see the log.' },
  lab_unavailable: { status: 503, message: 'The print lab cannot be reached; the job is retried by itself.' },

  // --- simulator and emulation (CLI input and run failures) ---
  invalid_scenario: { status: 400, message: 'The scenario is not valid; the message names the field.' },
  invalid_sync_schedule: { status: 400, message: 'The sync schedule is not valid.' },
  invalid_bound_input: { status: 400, message: 'The bound needs positive rates and at least one printer.' },
  invalid_publication_times: {
    status: 400,
    message: 'Publication times must cover every image, in upload order, none before its batch.',
  },
  invalid_rate_limit: { status: 400, message: 'A bandwidth cap must be > 0 bytes/s (Infinity = uncapped).' },
  invalid_max_printers: { status: 400, message: 'The number of printers is out of range.' },
  invalid_prerender_assignment: {
    status: 400,
    message: 'The number of stations that render each order ahead must be a whole number of at least 1.',
  },
  invalid_netns_id: { status: 400, message: 'A namespace id is 1–8 lower-case letters or digits.' },
  invalid_time_compression: { status: 400, message: 'The time compression is out of range.' },
  invalid_wan_rate: { status: 400, message: 'The WAN rate must be > 0 bytes/s.' },
  no_online_printers: { status: 500, message: 'Responsibility needs at least one online printer (this one).' },
  link_shaping_unavailable: { status: 400, message: 'Link shaping is not available on this machine.' },
  netns_setup_failed: { status: 500, message: 'Could not set up the shaped network.' },
  strategy_not_emulated: { status: 400, message: 'This strategy cannot run in emulation.' },
  emulation_failed: { status: 500, message: 'The emulation run ended without results.' },
  emulation_edge_failed: { status: 500, message: 'An edge node of the emulation stopped.' },
  host_cpu_unreadable: { status: 500, message: "The host's CPU times (/proc/stat) could not be read." },
  sim_empty_sample: { status: 400, message: 'A mean needs at least one value; run at least one seed.' },
  sim_non_finite_value: { status: 400, message: 'Cannot summarise NaN or infinite values; check the run output.' },
  sim_bad_degrees_of_freedom: { status: 400, message: 'Degrees of freedom must be a positive integer.' },
  sim_invariant_violated: { status: 500, message: 'A simulation run broke an invariant; the message names which.' },

  // --- venue kit (demo, tests, benches) ---
  venue_kit_step_failed: { status: 502, message: 'A venue kit step got an unexpected answer.' },
  venue_kit_process_failed: {
    status: 500,
    message: 'A process the venue kit started stopped or did not become ready.',
  },
  venue_kit_not_ready: { status: 503, message: 'The venue kit is not ready: await ready() first.' },
  venue_kit_wrong_mode: { status: 400, message: 'This venue kit call does not fit how the venue was started.' },

  // --- own photos (issue #13 item 3: fans print their own phone photos at a kiosk) ---
  own_photos_disabled: {
    status: 404,
    message: 'Printing your own photos is not offered here; ask staff.',
  },
  own_photo_job_not_found: {
    status: 404,
    message: 'No print job with this code and PIN; check both, or upload your photos again.',
  },
  own_photo_job_expired: {
    status: 410,
    message: 'This print job has expired and its photos were deleted; upload them again.',
  },
  own_photo_job_state: {
    status: 409,
    message: 'This print job cannot do that now (it may be paid, printing or printed already).',
  },
  own_photo_job_held: {
    status: 409,
    message: 'This print job is being printed at another printer right now.',
  },
  own_photo_pin_locked: {
    status: 429,
    message: 'Too many wrong PINs: wait a little, or scan the QR code from your phone instead.',
  },
  too_many_own_photo_uploads: {
    status: 429,
    message: 'Too many uploads from this phone or network; wait a minute and try again.',
  },
  own_photo_job_full: {
    status: 422,
    message: 'This print job holds the most photos allowed; start a new job for more.',
  },
  own_photo_no_price: {
    status: 503,
    message: 'No price is set for printing your own photos here; ask staff.',
  },
  // --- templates and frames (issue #14) ---
  template_not_found: { status: 404, message: 'This template does not exist at this event.' },
  template_invalid: {
    status: 422,
    message: 'The template is not valid; the details name what to fix (size, windows, text fields).',
  },
  template_unreadable: { status: 422, message: 'The template image cannot be decoded; export it again as PNG.' },
  template_not_png: { status: 415, message: 'A frame must be a PNG with transparent windows.' },
  template_photos_missing: {
    status: 400,
    message: 'This template has more photo windows than photos were chosen; pick a photo for each window.',
  },
  template_not_printable: {
    status: 422,
    message: 'This printer cannot print the template right now; the order is printed when it can.',
  },
  fee_table_invalid: {
    status: 422,
    message: 'The fee-rate table is not valid; the details name the band to fix.',
  },
  price_changed: {
    status: 409,
    message: 'The price changed since your cart was priced; check the new total and pay again.',
  },
  too_many_previews: {
    status: 429,
    message: 'Too many frame previews from this device right now; the preview comes back in a few seconds.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

export interface AppErrorOptions {
  /** Overrides the registry's status: only for errors relayed from another service that chose it. */
  status?: number;
  cause?: unknown;
}

/**
 * The one error type of the system, in the style of hypercore-errors: a registry code, its HTTP
 * status, a message a person can act on, and optional machine-readable details.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, opts: AppErrorOptions = {}) {
    super(message ?? ERRORS[code].message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status ?? ERRORS[code].status;
    this.details = details;
  }
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/** An error body as both HTTP services send it (and the edge node reads it back). */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const HTTP_CLIENT_ERROR_CODES: Readonly<Record<number, ErrorCode>> = {
  413: 'body_too_large',
  415: 'unsupported_media_type',
};

/**
 * Any thrown value as an AppError, for the one error path of each HTTP service: our own errors
 * pass through; the 4xx errors koa and its body parser raise (http-errors, safe to expose) keep
 * their status under a registry code; anything else is an internal error whose message is never
 * shown (the caller logs the original).
 */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const e = err as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown } | null;
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const message = e.expose === true && typeof e.message === 'string' ? e.message : undefined;
    const code: ErrorCode =
      HTTP_CLIENT_ERROR_CODES[e.status] ?? (e.type === 'entity.parse.failed' ? 'body_malformed' : 'bad_request');
    return new AppError(code, message, undefined, { status: e.status });
  }
  return new AppError('internal_error');
}
