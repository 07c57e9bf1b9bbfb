/**
 * Applies work in the order it arrived while the slow part of each item (a signature check on
 * worker threads) runs for many items at once: `run(ready, apply)` starts nothing itself; `apply`
 * runs once `ready` has settled and every earlier item's `apply` has finished. A failed item does
 * not stop later ones. Its queue is as long as the caller's own bound on items in flight.
 */
export class ArrivalOrder {
  private tail: Promise<unknown> = Promise.resolve();

  run<R, T>(ready: Promise<R>, apply: (value: R) => T | Promise<T>): Promise<T> {
    const done = this.tail.then(async () => apply(await ready));
    this.tail = done.catch(() => undefined);
    return done;
  }
}
