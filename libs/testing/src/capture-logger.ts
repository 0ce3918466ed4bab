import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '@keyward/platform';

/** An app logger whose JSON lines are kept in memory, so a test can read (or search) every line. */
export function createCapturingLogger(app: string, level = 'debug'): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ app, replicaId: `${app}-test`, level, destination });
  return { logger, lines, text: () => lines.join('\n') };
}
