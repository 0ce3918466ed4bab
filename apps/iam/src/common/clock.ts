/** Time behind an injectable, so tests move it instead of sleeping (DESIGN.md "Time"). */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
