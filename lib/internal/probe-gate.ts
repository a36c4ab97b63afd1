import { timer, type Timer } from '../clock';
import type { StoreSettings } from '../store-options';
import type { AbortScope } from './abort-scope';
import { Latch } from './latch';
import type { SessionChange } from './state-cell';
import type { ProbeOutcome, ProbeTicket, StoreState } from './store-link';

/** A token no response has confirmed yet: how many of its requests are out, and what the others wait for. */
interface Probe extends ProbeTicket {
  readonly token: string;
  /** The session epoch it tests the token in. */
  readonly scope: AbortScope | null;
  out: number;
  /** What the requests beyond `probeLimit` wait on: the next answer. */
  readonly wave: Latch;
  /** Whether the deadline of every wait on it is set: `PROBE_PATIENCE` after the first (one deadline, whatever the waves). */
  timed?: boolean;
  /** The probes took too long to answer: the token is no longer tested. */
  gaveUp?: boolean;
}

/**
 * How long requests wait for a probe's answer, in ms. A slow first request (a report, a
 * long poll) must not hold every other request back: after this, they all go.
 */
export const PROBE_PATIENCE = 1_000;

/**
 * What the store knows of its token, and how it learns it. A token no response has
 * confirmed yet (one restored, from `initial` or `update()`) goes out on at most `probeLimit`
 * requests at once, the probes; the others wait for the first answer. A 401 marks it
 * `rejected`: requests then wait for the refresh instead of failing the same way.
 */
export class ProbeGate<TUser> {
  /** A token a bound request got a 401 for, in this session. */
  rejected: string | undefined;
  /** The token a response (or the refresh that issued it) has confirmed. */
  #trusted: string | undefined;
  /** A token the app vouched for (`login()` of a token just issued), trusted once it is current. */
  #vouched: string | undefined;
  #probe: Probe | undefined;
  #state!: StoreState<TUser>;
  /**
   * `probeLimit`; `Infinity` (no probes) without a `refresh`: a refused token cannot be
   * renewed then, so holding requests back would gain nothing.
   */
  readonly #limit: number;
  readonly #patience: Timer;

  constructor(settings: StoreSettings<TUser>) {
    this.#limit = settings.refresh === undefined ? Infinity : settings.probeLimit;
    this.#patience = timer(settings.clock);
  }

  /** Forgets what held in an epoch that ended; a test of another token, or in another epoch, is over. */
  changed({ next, ended }: SessionChange<TUser>): void {
    this.#state = next;
    // A new session (or none) learns its token afresh: that it worked, or was refused, in
    // the last one may no longer hold (a logout revokes it on most servers). (A login after
    // none has nothing to forget: nothing is learnt while signed out.)
    if (ended) this.#trusted = this.rejected = undefined;
    const { token } = next.session;
    if (this.#vouched === token) this.trust(token);
    this.#vouched = undefined;
    const probe = this.#probe;
    // (A login with the same token is another epoch: its test starts again.)
    if (probe !== undefined && (probe.token !== token || probe.scope !== next.scope)) this.#close();
  }

  /** The next change makes `token` current, and it was issued just now (a `login()`): no need to test it. */
  vouch(token: string): void {
    this.#vouched = token;
  }

  /** A refresh issued `token` just now: no need to test it. */
  trust(token: string): void {
    this.#trusted = token;
    this.rejected = undefined;
  }

  /**
   * Whether a request carrying `token` (the current one, not known to be dead) goes now
   * (`undefined`), goes as a probe (its ticket), or waits for a probe's answer.
   */
  hold(token: string): Promise<void> | ProbeTicket | undefined {
    if (token === this.#trusted || this.#limit === Infinity) return undefined;
    let probe = this.#probe;
    if (probe?.token !== token) {
      this.#close();
      probe = this.#probe = { token, scope: this.#state.scope, out: 0, wave: new Latch() };
    }
    if (probe.gaveUp) return undefined;
    if (probe.out < this.#limit) {
      probe.out++;
      return probe;
    }
    if (!probe.timed) {
      // Probes that fail without an answer release the waiting requests a few at a time:
      // the deadline stays that of the first wait, not one more second per wave.
      probe.timed = true;
      const waiting = probe;
      this.#patience.set(() => {
        waiting.gaveUp = true;
        waiting.wave.open();
      }, PROBE_PATIENCE);
    }
    return probe.wave.wait();
  }

  /**
   * A probe came back. Taken (`'ok'`): the token is trusted, and every waiting request
   * goes. Refused: the token is known not to work; the waiting requests are judged again
   * and wait for the refresh. No answer: the ones waiting are judged again, and up to
   * `probeLimit` of them go as probes.
   */
  answered(ticket: ProbeTicket, outcome: ProbeOutcome): void {
    const { token, scope } = ticket as Probe;
    const probe = this.#probe;
    // Only about the current token in the session it was sent in: a late answer for an old
    // token must not take the trust a refreshed token has, nor mark it dead; one from before
    // a logout says nothing of the same token logged in again (the logout may have revoked it).
    if (this.#state.session.token === token && this.#state.scope === scope) {
      if (outcome === 'ok') this.#trusted = token;
      else if (outcome === 'refused') this.rejected = token;
    }
    // Counted only by its own test: not by a later one of the same token (a new login with it).
    if (probe !== ticket) return;
    probe.out = Math.max(0, probe.out - 1);
    if (outcome === 'none') probe.wave.open();
    else this.#close();
  }

  /** Stops testing the current token; every request waiting on it is judged again. */
  #close(): void {
    const probe = this.#probe;
    this.#probe = undefined;
    this.#patience.clear();
    probe?.wave.open();
  }
}
