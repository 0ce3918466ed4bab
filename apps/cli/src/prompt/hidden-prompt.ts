import { CliError, EXIT } from '../cli-error';

/** The parts of a TTY read stream a hidden prompt needs (process.stdin, or a fake in tests). */
export interface RawInput {
  setRawMode(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Reads one line from a terminal in raw mode without echoing it: the secret never reaches the
 * screen, the scrollback or a log. Enter ends it, Backspace edits, Ctrl-C cancels.
 */
export function promptHidden(input: RawInput, output: { write(text: string): unknown }, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    output.write(question);
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError(EXIT.failed, 'Cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}
