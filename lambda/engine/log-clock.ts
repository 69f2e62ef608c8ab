import type { LogStamp } from './log-stamp.js';
import { NO_YEAR } from './log-stamp.js';
import { isUtc, TIME_UNITS, toWallMs, wallToUtcCandidates } from './time-zone.js';

const { MS_PER_MINUTE, MS_PER_DAY } = TIME_UNITS;

/** How a file's printed times become instants. */
export interface LogClockOptions {
  /**
   * The instant the file was complete (the S3 object's LastModified, a file's mtime, or
   * `--reference-time`). A log is written before it is stored, so it completes the dates a log
   * leaves out. Without it, times without a date (or year) stay untimed.
   */
  readonly referenceMs?: number;
  /** IANA zone the log's local times are in. @default 'UTC' */
  readonly timeZone?: string;
}

/** A backward jump larger than this between consecutive printed times is the next day (or year). */
export const ROLLOVER_MS = 12 * 60 * 60 * 1000;
/**
 * How far a log may step back and still be in the same pass of a repeated (autumn) hour: threads
 * of one process write a few lines out of order, by milliseconds; the repeated hour itself steps
 * back by up to an hour.
 */
export const FOLD_TOLERANCE_MS = 60_000;
/**
 * How far past the reference instant the last printed time may lie before its date is moved back:
 * the logging host's clock and the store's may disagree by this much.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

const MAX_CACHED_MINUTES = 10_000;

/** Shifts a wall time back by whole years, keeping month, day and time. */
const yearsBack = (wallMs: number, years: number): number => {
  const d = new Date(wallMs);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.getTime();
};

/** Fields of a 'no-year' stamp placed in `year`. */
const inYear = (noYearWall: number, year: number): number => yearsBack(noYearWall, NO_YEAR - year);

/**
 * Turns one file's printed times into instants, in line order (it keeps the state that tells a
 * new day, a new year and the second pass of a repeated hour). One clock per file; pure (the
 * reference instant is passed in, the clock is never read).
 *
 * A time without a date gets the latest date at which it is not after the reference instant, and
 * the next date after each backward jump of more than ROLLOVER_MS; a date without a year likewise
 * gets a year. Because the date of the first line depends on how many days the file spans, which
 * is known only at its end, finish() says how to move the counted minutes back when the last time
 * turned out to lie after the reference instant.
 */
export class LogClock {
  private readonly timeZone: string;
  private readonly utc: boolean;
  /**
   * The reference instant, and its wall time in the zone: times of day are held to the instant (wall times repeat
   * when the clocks go back), dates without a year to the wall time.
   */
  private readonly reference: { readonly ms: number; readonly wall: number } | undefined;
  private readonly minutes = new Map<number, readonly number[]>();
  /** Wall time of the current day's midnight (time-of-day stamps). */
  private dayWall: number | undefined;
  private lastTimeOfDay = 0;
  /** The first time of day was 00:00:00.000000: these are tcpdump -ttt/-ttttt deltas, not times. */
  private deltas = false;
  /** Year of the current stamps (no-year stamps). */
  private year: number | undefined;
  private lastNoYearWall = 0;
  private previousUtc: number | undefined;
  /** The latest instant a time of day was given (compared with the reference instant by finish()). */
  private maxDayUtc = Number.NEGATIVE_INFINITY;
  private maxYearWall = Number.NEGATIVE_INFINITY;
  /** The latest instant a date without a year was given (compared with the reference instant by finish()). */
  private maxYearUtc = Number.NEGATIVE_INFINITY;
  private sawDated = false;
  private contextual = false;

  constructor(opts: LogClockOptions = {}) {
    this.timeZone = opts.timeZone ?? 'UTC';
    this.utc = isUtc(this.timeZone);
    const ms = opts.referenceMs;
    this.reference = ms === undefined ? undefined : { ms, wall: this.toWall(ms) };
  }

  /**
   * Whether some instant depended on more than its own line: a date or year taken from the reference instant or
   * carried from earlier lines, or the pass of a repeated hour (and so finish() may move minutes too). A scan
   * started part-way through the file, with a fresh clock, could place such times differently (lambda/growth
   * resumes only a log whose clock never needed context).
   */
  get neededContext(): boolean {
    return this.contextual;
  }

  /** The instant of a printed time, or undefined when it cannot be placed (no reference for a partial date). */
  resolve(stamp: LogStamp): number | undefined {
    switch (stamp.kind) {
      case 'utc':
        this.sawDated = true;
        return stamp.wallMs;
      case 'local':
        this.sawDated = true;
        return this.wallToUtc(stamp.wallMs);
      case 'time-of-day':
        return this.timeOfDay(stamp.wallMs);
      case 'no-year':
        return this.noYear(stamp.wallMs);
    }
  }

  /**
   * After the last line: a function that moves a counted instant to where it belongs, when the
   * dates given to partial times must move back (the file spanned more days or years than the
   * first line's date allowed); undefined when every instant stands. A file that also printed
   * full dates keeps its instants (they anchor it; a mix is not moved half-way).
   */
  finish(): ((utcMs: number) => number) | undefined {
    const ref = this.reference;
    if (ref === undefined || this.sawDated) return undefined;
    const limit = ref.wall + FUTURE_TOLERANCE_MS;
    // instants, not wall times: in the hour the clocks go back, 01:59 of the first pass comes before 01:02 of the second
    const utcLimit = ref.ms + FUTURE_TOLERANCE_MS;
    if (this.maxDayUtc > utcLimit) {
      const days = Math.ceil((this.maxDayUtc - utcLimit) / MS_PER_DAY);
      return (ms) => this.earliest(this.toWall(ms) - days * MS_PER_DAY);
    }
    if (this.maxYearUtc > utcLimit) {
      let years = 1;
      while (yearsBack(this.maxYearWall, years) > limit) years++;
      return (ms) => this.earliest(yearsBack(this.toWall(ms), years));
    }
    return undefined;
  }

  private timeOfDay(tod: number): number | undefined {
    const ref = this.reference;
    if (ref === undefined || this.deltas) return undefined;
    this.contextual = true;
    if (this.dayWall === undefined) {
      if (tod === 0) {
        this.deltas = true;
        return undefined;
      }
      // the latest date at which this time of day is not after the reference instant (its first pass, when the
      // clocks go back that night: the first line of a file is read in the first pass)
      const refDay = Math.floor(ref.wall / MS_PER_DAY) * MS_PER_DAY;
      this.dayWall = this.earliest(refDay + tod) <= ref.ms + FUTURE_TOLERANCE_MS ? refDay : refDay - MS_PER_DAY;
    } else if (tod < this.lastTimeOfDay - ROLLOVER_MS) {
      this.dayWall += MS_PER_DAY;
    }
    this.lastTimeOfDay = tod;
    const u = this.wallToUtc(this.dayWall + tod);
    if (u > this.maxDayUtc) this.maxDayUtc = u;
    return u;
  }

  private noYear(noYearWall: number): number | undefined {
    const ref = this.reference;
    if (ref === undefined) return undefined;
    this.contextual = true;
    if (this.year === undefined) {
      const refYear = new Date(ref.wall).getUTCFullYear();
      // instants, as for a time of day: the reference in the second pass of a repeated hour is after the first pass
      this.year = this.earliest(inYear(noYearWall, refYear)) <= ref.ms + FUTURE_TOLERANCE_MS ? refYear : refYear - 1;
    } else if (noYearWall < this.lastNoYearWall - ROLLOVER_MS) {
      // "Dec 31" then "Jan 01": a new year
      this.year++;
    }
    this.lastNoYearWall = noYearWall;
    const wall = inYear(noYearWall, this.year);
    if (wall > this.maxYearWall) this.maxYearWall = wall;
    const u = this.wallToUtc(wall);
    if (u > this.maxYearUtc) this.maxYearUtc = u;
    return u;
  }

  private toWall(utcMs: number): number {
    return this.utc ? utcMs : toWallMs(this.timeZone, utcMs);
  }

  /** Instants of the wall minute holding `wallMs` (offsets change on whole minutes), cached. */
  private candidates(wallMs: number): { readonly minute: number; readonly at: readonly number[] } {
    const minute = Math.floor(wallMs / MS_PER_MINUTE) * MS_PER_MINUTE;
    let at = this.minutes.get(minute);
    if (at === undefined) {
      at = wallToUtcCandidates(this.timeZone, minute);
      if (this.minutes.size >= MAX_CACHED_MINUTES) this.minutes.clear();
      this.minutes.set(minute, at);
    }
    return { minute, at };
  }

  private earliest(wallMs: number): number {
    if (this.utc) return wallMs;
    const c = this.candidates(wallMs);
    return (c.at[0] ?? c.minute) + (wallMs - c.minute);
  }

  /** The instant of a wall time; in a repeated hour, the pass that keeps the lines in order. */
  private wallToUtc(wallMs: number): number {
    if (this.utc) return wallMs;
    const c = this.candidates(wallMs);
    const within = wallMs - c.minute;
    const first = (c.at[0] ?? c.minute) + within;
    let u = first;
    const second = c.at[1];
    if (second !== undefined) this.contextual = true;
    if (second !== undefined && this.previousUtc !== undefined && first < this.previousUtc - FOLD_TOLERANCE_MS) {
      // the clock went back an hour: this line is in the second pass of the repeated hour
      u = second + within;
    }
    this.previousUtc = u;
    return u;
  }
}
