/**
 * The time axis of the report's charts: minutes of log time mapped to columns (bars). Logs a day or a week apart
 * would leave the data as two slivers at the ends of an empty axis, so a gap of more than GAP_MINUTES without any
 * response cuts the axis into segments laid side by side (the charts draw a break between them). Past MAX_COLUMNS
 * minutes in all, a column stands for several minutes. Pure.
 */
import type { MinuteCounts } from '../../../infra/evaluate-alarms.js';

/** At most this many columns per chart: a longer series is drawn in bins of several minutes (about one per pixel). */
export const MAX_COLUMNS = 1440;
/** A gap longer than this (minutes without any response) breaks the axis. */
export const GAP_MINUTES = 120;
/** A shorter stretch is drawn on this many minutes, so one minute is not one bar across the whole width. */
const MIN_SEGMENT_MINUTES = 30;
/** Beyond this many stretches the axis stays continuous (a break per hourly upload would say nothing). */
const MAX_SEGMENTS = 12;
const MS_PER_MINUTE = 60_000;

/** One unbroken stretch of the axis. */
export interface AxisSegment {
  /** Time of the segment's first column (epoch ms, a minute start). */
  readonly startMs: number;
  readonly firstColumn: number;
  readonly columns: number;
}

/** The axis of every chart of one report. */
export interface TimeAxis {
  readonly binMinutes: number;
  readonly columns: number;
  /** Oldest first; one segment when there is no long gap. */
  readonly segments: readonly AxisSegment[];
}

/** Stretches of minutes separated by gaps over GAP_MINUTES, as [first minute, last minute] (epoch ms). */
const stretchesOf = (minutes: readonly MinuteCounts[]): [number, number][] => {
  const out: [number, number][] = [];
  for (const m of minutes) {
    const last = out[out.length - 1];
    if (last !== undefined && m.minuteStartMs - last[1] <= (GAP_MINUTES + 1) * MS_PER_MINUTE) last[1] = m.minuteStartMs;
    else out.push([m.minuteStartMs, m.minuteStartMs]);
  }
  if (out.length <= MAX_SEGMENTS) return out;
  const first = out[0];
  const last = out[out.length - 1];
  return first === undefined || last === undefined ? [] : [[first[0], last[1]]];
};

/** The axis of a per-minute series (oldest first), or null when it is empty. */
export const timeAxisOf = (minutes: readonly MinuteCounts[]): TimeAxis | null => {
  const stretches = stretchesOf(minutes).map(([a, b]): [number, number] => {
    const span = (b - a) / MS_PER_MINUTE + 1;
    if (span >= MIN_SEGMENT_MINUTES) return [a, span];
    // a short stretch sits in the middle of half an hour
    return [a - Math.floor((MIN_SEGMENT_MINUTES - span) / 2) * MS_PER_MINUTE, MIN_SEGMENT_MINUTES];
  });
  if (stretches.length === 0) return null;
  const total = stretches.reduce((s, [, span]) => s + span, 0);
  const binMinutes = Math.ceil(total / MAX_COLUMNS);
  const segments: AxisSegment[] = [];
  let column = 0;
  for (const [startMs, span] of stretches) {
    const columns = Math.ceil(span / binMinutes);
    segments.push({ startMs, firstColumn: column, columns });
    column += columns;
  }
  return { binMinutes, columns: column, segments };
};

const binMs = (axis: TimeAxis): number => axis.binMinutes * MS_PER_MINUTE;

/** The segment holding `t`, or the last one starting before it (a time in a gap belongs to the stretch before). */
const segmentAt = (axis: TimeAxis, t: number): AxisSegment | undefined => {
  let found: AxisSegment | undefined;
  for (const s of axis.segments) if (s.startMs <= t) found = s;
  return found;
};

/** The column a time falls in: -1 before the axis, the segment's last column past its end (in a gap). */
export const columnOf = (axis: TimeAxis, t: number): number => {
  const s = segmentAt(axis, t);
  if (s === undefined) return -1;
  return s.firstColumn + Math.min(s.columns - 1, Math.floor((t - s.startMs) / binMs(axis)));
};

/** The first column after the instant `t` (the end of a shaded interval), clamped to the end of its segment. */
export const columnEndOf = (axis: TimeAxis, t: number): number => {
  const s = segmentAt(axis, t);
  if (s === undefined) return 0;
  return s.firstColumn + Math.min(s.columns, Math.ceil((t - s.startMs) / binMs(axis)));
};

/** The time a column starts at. */
export const columnStartMs = (axis: TimeAxis, column: number): number => {
  let found = axis.segments[0];
  for (const s of axis.segments) if (s.firstColumn <= column) found = s;
  return found === undefined ? 0 : found.startMs + (column - found.firstColumn) * binMs(axis);
};
