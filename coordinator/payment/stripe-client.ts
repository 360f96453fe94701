import Stripe from 'stripe';
import { AppError, type ErrorCode } from '../../shared/errors.ts';

/** One API call may take this long before the SDK gives up (Stripe's own default is 80 s: a fan waits). */
export const STRIPE_REQUEST_TIMEOUT_MS = 20_000;
/**
 * The SDK retries connection errors, 409 and 5xx with the same idempotency key, so a retry can never
 * charge twice; two retries cover a blip without keeping a kiosk waiting long.
 */
export const STRIPE_MAX_NETWORK_RETRIES = 2;

export interface StripeClientOptions {
  secretKey: string;
  /**
   * Where the API is, e.g. `http://127.0.0.1:43123` for the test fixture server. Unset in production:
   * the SDK's own default (https://api.stripe.com) is the only real endpoint.
   */
  apiUrl?: string | undefined;
  timeoutMs?: number;
  maxNetworkRetries?: number;
}

/** The official SDK, pinned to the API version the SDK was built for (its types describe that version). */
export function createStripeClient(opts: StripeClientOptions): Stripe {
  const config: Stripe.StripeConfig = {
    timeout: opts.timeoutMs ?? STRIPE_REQUEST_TIMEOUT_MS,
    maxNetworkRetries: opts.maxNetworkRetries ?? STRIPE_MAX_NETWORK_RETRIES,
    // Latency telemetry goes to Stripe in request headers; nothing we need, so nothing sent.
    telemetry: false,
    appInfo: { name: 'venue-print-mesh' },
  };
  if (opts.apiUrl) {
    const url = new URL(opts.apiUrl);
    config.host = url.hostname;
    config.protocol = url.protocol === 'http:' ? 'http' : 'https';
    config.port = url.port || (url.protocol === 'http:' ? 80 : 443);
  }
  return new Stripe(opts.secretKey, config);
}

export function isStripeError(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof Stripe.errors.StripeError;
}

/**
 * A Stripe SDK failure as our error: the network or Stripe's side failing is "unavailable" (retry
 * later), Stripe refusing the request is `refused` (or the caller's more specific code). Anything that
 * is not a Stripe error is rethrown as it is. Only Stripe's error code, HTTP status and request id are
 * kept: the SDK error itself is not attached as the cause, because its raw body can hold the payment
 * method (cardholder name, expiry) and the coordinator logs the causes of 5xx errors.
 */
export function stripeFailure(err: unknown, refused: ErrorCode = 'payment_provider_refused'): AppError {
  if (!isStripeError(err)) throw err;
  const details = {
    provider: 'stripe',
    stripeCode: err.code ?? err.type,
    stripeStatus: err.statusCode ?? null,
    requestId: err.requestId ?? null,
  };
  if (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    (err.statusCode !== undefined && err.statusCode >= 500)
  ) {
    return new AppError('payment_provider_unavailable', undefined, details);
  }
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return new AppError(
      'payment_provider_refused',
      'The payment provider refused our API key: check VPM_STRIPE_SECRET_KEY_FILE.',
      details,
    );
  }
  return new AppError(refused, undefined, details);
}

/** Stripe's error code of a failure, when it is one. */
export function stripeCode(err: unknown): string | undefined {
  return isStripeError(err) ? err.code : undefined;
}
