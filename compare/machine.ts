/** The machine a run measured on: what the report must name for its figures to be read right. */
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  os: string;
  node: string;
  /** 1, 5 and 15 minute load averages. */
  loadAverage: [number, number, number];
}

/** The machine now (call at the start and at the end of a run: the load changes). */
export function machineInfo(): MachineInfo {
  const c = cpus();
  const [a, b, d] = loadavg();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round(totalmem() / 1e8) / 10,
    freeMemoryGb: Math.round(freemem() / 1e8) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    loadAverage: [a, b, d].map((x) => Math.round(x * 100) / 100) as [number, number, number],
  };
}
