/**
 * The token's lifecycle, in three parts that the store tells of every change of its state
 * (a `SessionChange`), in this order:
 *
 * - the probe gate (./probe-gate): what the store knows of its token, and the few
 *   requests that test one no response has confirmed yet;
 * - the expiry timer (./expiry-timer): the proactive refresh, or the end of the session;
 * - the refresh coordinator (./refresh-coordinator): the one shared refresh, and whether
 *   a request must wait for it.
 *
 * This module stays as the place their shared constants were imported from.
 */
export { PROBE_PATIENCE } from './probe-gate';
