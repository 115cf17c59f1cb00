/**
 * A CPU profile of this process (the load generator: the clients, and the embedded chain serving the node's
 * polls) over one phase only, through the inspector, so set-up, deployment and module loading stay out of it:
 * `--client-prof <dir>` writes the closed loop's as <dir>/clients-closed-loop.cpuprofile (Chrome DevTools'
 * format), and the profiled closed loop (`--breakdown`) folds its own into the report's categories.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import path from "node:path";

import type { CpuProfile } from "./breakdown.js";

export interface ClientProfile {
  /** Stops profiling and writes the profile; returns its file. */
  stop(): Promise<string>;
}

/** Starts V8's sampling profiler on this process; `stop` returns the profile. */
export async function profileThisProcess(): Promise<{ stop(): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      return profile as CpuProfile;
    },
  };
}

export async function startClientProfile(dir: string): Promise<ClientProfile> {
  const running = await profileThisProcess();
  return {
    async stop() {
      const profile = await running.stop();
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, "clients-closed-loop.cpuprofile");
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  };
}
