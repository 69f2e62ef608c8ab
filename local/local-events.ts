import type { AlarmEvaluation, AlarmState } from '../infra/evaluate-alarms.js';
import type { LocalAlarmRule } from './alarm-status.js';
import type { FileStatus } from './file-status.js';

const MAX_WARNINGS_KEPT = 5;

/** Something worth a line of its own. */
export type LocalEvent =
  | { readonly kind: 'file'; readonly file: FileStatus }
  | {
      readonly kind: 'alarm';
      readonly rule: LocalAlarmRule;
      readonly from: AlarmState;
      readonly to: AlarmState;
      /** The data clock's "now" the new state was judged at. */
      readonly dataNowMs: number;
      readonly evaluation: AlarmEvaluation;
    }
  | { readonly kind: 'warning'; readonly message: string };

/** The listeners of LocalEvents, and the last few warnings for the view. */
export interface LocalEvents {
  emit(event: LocalEvent): void;
  /** Keeps the message among the last warnings and emits it. */
  warn(message: string): void;
  /** Returns a function that removes the listener. */
  onEvent(listener: (event: LocalEvent) => void): () => void;
  /** The last few warnings, oldest first. */
  warnings(): string[];
}

export const createLocalEvents = (): LocalEvents => {
  const listeners = new Set<(e: LocalEvent) => void>();
  const warnings: string[] = [];
  const emit = (e: LocalEvent): void => {
    for (const l of listeners) l(e);
  };
  return {
    emit,
    warn: (message) => {
      warnings.push(message);
      if (warnings.length > MAX_WARNINGS_KEPT) warnings.shift();
      emit({ kind: 'warning', message });
    },
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    warnings: () => [...warnings],
  };
};
