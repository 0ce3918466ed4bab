/**
 * Test suites share one nats-server: each runs under its own prefix so that its requests, replies and
 * streams never meet another suite's. Outside tests the prefix is empty and names are as in contracts.
 */
export class SubjectNamespace {
  constructor(readonly prefix: string) {}

  subject(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  /** Stream names cannot contain dots. */
  stream(name: string): string {
    return this.prefix ? `${this.prefix.replace(/-/g, '_')}_${name}` : name;
  }
}
