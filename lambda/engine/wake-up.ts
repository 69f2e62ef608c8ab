/**
 * One waiter, woken by the next event: `wait()` parks the caller until `wake()`. A wake with nobody waiting is lost,
 * so a caller waits in a loop that checks its own condition first. The two-core scan's pump and its worker wait
 * this way.
 */
export class WakeUp {
  private resolve: (() => void) | undefined;

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  wake(): void {
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }
}
