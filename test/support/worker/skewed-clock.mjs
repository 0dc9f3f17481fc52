// Preload (`node --import ./skewed-clock.mjs`): shifts this process's clock by CLOCK_SKEW_MS,
// as a worker whose system clock is off would see it. Date.now() and `new Date()` both move;
// timers (relative) do not.
const skew = Number(process.env.CLOCK_SKEW_MS ?? 0);
const RealDate = Date;
class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + skew);
    else super(...args);
  }
  static now() {
    return RealDate.now() + skew;
  }
}
globalThis.Date = SkewedDate;
