/** Stable codes of the local stack's own errors; callers branch on these, never on message text. */
export type LocalErrorCode =
  | 'PORT_IN_USE'
  | 'DATA_DIR_IN_USE'
  | 'INPUT_NOT_FOUND'
  | 'HANDLER_CRASHED'
  | 'HANDLER_TIMEOUT'
  | 'STACK_STOPPED';

/** An error of `npm start` itself (ports, data folder, inputs), as opposed to an error of the product. */
export class LocalStackError extends Error {
  constructor(
    readonly code: LocalErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}
