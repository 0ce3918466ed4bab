/** A bad or missing environment variable: the app stops at start with this message. */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: readonly { variable: string; problem: string }[],
  ) {
    super(
      `Invalid configuration for ${app}:\n` +
        problems.map(({ variable, problem }) => `  - ${variable}: ${problem}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
