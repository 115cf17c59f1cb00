/**
 * `--client-prof <dir>`: a CPU profile of this process (the load generator: the clients, and the embedded chain
 * serving the node's polls) over the closed loop only, through the inspector, so set-up, deployment and module
 * loading stay out of it. Written as <dir>/clients-closed-loop.cpuprofile (Chrome DevTools' format).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import path from "node:path";

export interface ClientProfile {
  /** Stops profiling and writes the profile; returns its file. */
  stop(): Promise<string>;
}

export async function startClientProfile(dir: string): Promise<ClientProfile> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, "clients-closed-loop.cpuprofile");
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  };
}
