import { BehaviorSubject } from 'rxjs';
import { SessionStore } from '../../lib/index';
import { fmtRatio } from '../support/format';
import { interleave, measure, median, ratioOfRounds, round, type Sample } from '../support/stats';
import type { Row, Scenario } from './types';

const GOAL = 1.2;
const SUBSCRIBERS = 10_000;

const scenario: Scenario = {
  id: '6-emission',
  title: `Emission to ${SUBSCRIBERS.toLocaleString('en-US')} session$ subscribers`,
  async run(ctx) {
    const ops = 200;
    const rounds = ctx.quick ? 7 : 15;
    let heard = 0;
    const listener = (): void => {
      heard++;
    };
    const store = new SessionStore({ initial: 'bench-token' });
    const subject = new BehaviorSubject<unknown>({ status: 'authenticated', token: 'bench-token' });
    for (let i = 0; i < SUBSCRIBERS; i++) {
      store.session$.subscribe(listener);
      subject.subscribe(listener);
    }
    let seq = 0;
    ctx.log(`${rounds} rounds of ${ops} emissions each: update, login, bare next`);
    const samples = await interleave<'update' | 'login' | 'next'>(
      {
        update: () =>
          measure(ops, () => {
            for (let i = 0; i < ops; i++) store.update({ token: `bench-token-${++seq}` });
          }),
        login: () =>
          measure(ops, () => {
            for (let i = 0; i < ops; i++) store.login(`bench-token-${++seq}`);
          }),
        next: () =>
          measure(ops, () => {
            for (let i = 0; i < ops; i++) subject.next({ status: 'authenticated', token: `bench-token-${++seq}` });
          }),
      },
      rounds,
    );
    const wall = (s: Sample[]): number[] => s.map((x) => x.wall);
    const updateRatio = ratioOfRounds(wall(samples.update), wall(samples.next));
    const loginRatio = ratioOfRounds(wall(samples.login), wall(samples.next));
    const worst = Math.max(updateRatio, loginRatio);
    const us = (s: Sample[]): string => (median(wall(s)) / 1000).toFixed(0);
    const rows: Row[] = [
      {
        metric: `update() ÷ BehaviorSubject.next (${us(samples.update)} vs ${us(samples.next)} µs)`,
        value: fmtRatio(updateRatio),
        goal: `≤ ${GOAL}`,
        pass: updateRatio <= GOAL,
      },
      {
        metric: `login() ÷ BehaviorSubject.next (${us(samples.login)} vs ${us(samples.next)} µs)`,
        value: fmtRatio(loginRatio),
        goal: `≤ ${GOAL}`,
        pass: loginRatio <= GOAL,
      },
    ];
    store.dispose();
    // Every emission reached the subscribers (so none of the three was measured doing nothing).
    const emitted = 3 * ops * (rounds + 1);
    if (heard < SUBSCRIBERS * emitted)
      throw new Error(`subscribers heard ${heard} emissions, expected ${SUBSCRIBERS * emitted}+`);
    return {
      ratio: round(worst, 4),
      goal: `login/update ≤ ${GOAL}× BehaviorSubject.next with ${SUBSCRIBERS} subscribers`,
      pass: worst <= GOAL,
      updateRatio: round(updateRatio, 4),
      loginRatio: round(loginRatio, 4),
      nsPerEmission: Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, round(median(wall(s)), 0)])),
      rows,
    };
  },
};

export default scenario;
