import { Clock } from '../common/clock';

/** Real time plus an offset the test moves forward: time-driven behaviour without sleeping. */
export class ManualClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
