/**
 * What the subscriber has finished: whole events (by eventId) and, within an event, each of the
 * consumer's registrations (handled and acknowledged), so a redelivery repeats only what failed.
 * The default keeps them in memory; a consumer with several replicas may keep them in its database
 * (a redelivery can reach another replica), and its handler must be idempotent in any case.
 */
export interface ProcessedEvents {
  has(id: string): boolean | Promise<boolean>;
  add(id: string): void | Promise<void>;
}

/** The most recent `max` ids (JetStream redelivers within minutes; its own de-duplication covers the relay). */
export class InMemoryProcessedEvents implements ProcessedEvents {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 10_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    while (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest === undefined) break;
      this.ids.delete(oldest);
    }
  }
}
