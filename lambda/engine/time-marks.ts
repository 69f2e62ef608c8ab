import type { LogStamp } from './log-stamp.js';

/** Where in a rewritten text stream a printed time took effect. */
interface TimeMark {
  readonly offset: number;
  readonly stamp: LogStamp | undefined;
}

/**
 * The times of a text stream that was rewritten before it was read (logger prefixes cut, JSON objects opened), by
 * offset in the rewritten stream: the scanner asks for the time in force at a message's start, in increasing order,
 * and says which offsets it will not ask about again, so the marks behind it are forgotten (memory stays bounded).
 */
export class TimeMarks {
  private marks: TimeMark[] = [];
  private markIndex = 0;

  /** The time `stamp` takes effect at `offset` (offsets given in increasing order). */
  push(offset: number, stamp: LogStamp | undefined): void {
    this.marks.push({ offset, stamp });
  }

  /** The time `stamp` takes effect at `offset` unless it is already in force (a record's, JSON or journal). */
  pushIfChanged(offset: number, stamp: LogStamp | undefined): void {
    const last = this.marks[this.marks.length - 1];
    if (last !== undefined && last.stamp?.wallMs === stamp?.wallMs && last.stamp?.kind === stamp?.kind) return;
    this.marks.push({ offset, stamp });
  }

  /** The time in force at `offset` (offsets asked in increasing order). */
  at(offset: number): LogStamp | undefined {
    const marks = this.marks;
    let i = this.markIndex;
    while (i + 1 < marks.length && (marks[i + 1] as TimeMark).offset <= offset) i++;
    if (i > 4096) {
      // forget marks behind the scanner (it never asks about an earlier offset)
      this.marks = marks.slice(i);
      i = 0;
    }
    this.markIndex = i;
    const m = this.marks[i];
    return m !== undefined && m.offset <= offset ? m.stamp : undefined;
  }

  /** Nothing before `offset` will be asked about again. */
  release(offset: number): void {
    this.at(offset);
    if (this.markIndex > 0) {
      this.marks = this.marks.slice(this.markIndex);
      this.markIndex = 0;
    }
  }
}
