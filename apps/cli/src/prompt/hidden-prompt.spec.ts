import { EventEmitter } from 'node:events';
import { CliError } from '../cli-error';
import { promptHidden } from './hidden-prompt';

class FakeTty extends EventEmitter {
  raw: boolean[] = [];
  paused = true;
  setRawMode(mode: boolean) {
    this.raw.push(mode);
  }
  resume() {
    this.paused = false;
  }
  pause() {
    this.paused = true;
  }
}

describe('promptHidden', () => {
  it('reads a line in raw mode, handles backspace, and echoes nothing of it', async () => {
    const input = new FakeTty();
    const written: string[] = [];
    const answer = promptHidden(input, { write: (text) => written.push(text) }, 'API key: ');
    input.emit('data', Buffer.from('kw_secrex'));
    input.emit('data', '\u007ft-value\r');
    await expect(answer).resolves.toBe('kw_secret-value');
    expect(written.join('')).toBe('API key: \n');
    expect(input.raw).toEqual([true, false]);
    expect(input.paused).toBe(true);
    expect(input.listenerCount('data')).toBe(0);
  });

  it('Ctrl-C cancels and restores the terminal', async () => {
    const input = new FakeTty();
    const answer = promptHidden(input, { write: () => true }, 'API key: ');
    input.emit('data', 'abc\u0003');
    await expect(answer).rejects.toBeInstanceOf(CliError);
    expect(input.raw).toEqual([true, false]);
  });
});
