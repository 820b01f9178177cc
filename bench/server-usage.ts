// CPU and RSS of a bench server process plus its cluster workers. process.cpuUsage() sees only
// the calling process, so the workers' figures are read from /proc.
import fs from 'node:fs';

const TICK_US = 1e6 / 100; // Linux USER_HZ

export function cpuWithWorkers(workerPids: number[]): NodeJS.CpuUsage {
  const own = process.cpuUsage();
  let user = own.user;
  let system = own.system;
  for (const pid of workerPids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      user += Number(f[11]) * TICK_US;
      system += Number(f[12]) * TICK_US;
    } catch {
      /* exited */
    }
  }
  return { user, system };
}

export function rssWithWorkers(workerPids: number[]): number {
  let rss = process.memoryUsage().rss;
  for (const pid of workerPids) {
    try {
      rss += Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
    } catch {
      /* exited */
    }
  }
  return rss;
}
