import { readFileSync } from 'node:fs';

/** Peak resident memory and CPU time of processes, sampled from /proc while a run goes on. */
export class ProcessSampler {
  private readonly peakRssMb = new Map<string, number>();
  private readonly startCpu = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  start(intervalMs = 200): void {
    this.startedAt = Date.now();
    for (const [name, pid] of this.pids) this.startCpu.set(name, cpuSeconds(pid) ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Per process: peak RSS (MB) and average CPU (% of one core) since start. */
  stop(): Record<string, { peakRssMb: number; cpuPercent: number }> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const seconds = (Date.now() - this.startedAt) / 1000;
    const out: Record<string, { peakRssMb: number; cpuPercent: number }> = {};
    for (const [name, pid] of this.pids) {
      const cpu = (cpuSeconds(pid) ?? 0) - (this.startCpu.get(name) ?? 0);
      out[name] = { peakRssMb: Math.round((this.peakRssMb.get(name) ?? 0) * 10) / 10, cpuPercent: Math.round((cpu / seconds) * 1000) / 10 };
    }
    return out;
  }

  private sample(): void {
    for (const [name, pid] of this.pids) {
      const rss = rssMb(pid);
      if (rss !== undefined) this.peakRssMb.set(name, Math.max(rss, this.peakRssMb.get(name) ?? 0));
    }
  }
}

function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
