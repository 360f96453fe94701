/** Bytes per second in one Mbit/s (scenarios state rates in Mbit/s, the model moves bytes). */
export const BYTES_PER_MBIT = 125_000;
