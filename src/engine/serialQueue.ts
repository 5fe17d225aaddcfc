/**
 * Runs tasks one after another, in the order they were queued. The engine worker takes requests
 * concurrently and an analysis awaits between chunks, so without this a second analysis of the
 * same document, or a model swap that disposes the weights, could run in the middle of another.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // A failed task must not block the ones queued after it.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
