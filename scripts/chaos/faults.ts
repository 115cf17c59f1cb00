/**
 * The fault schedule of a chaos run: how many of each kind, shuffled and placed at random moments of the load by
 * the seeded generator, then injected one after the other (a fault that is still running delays the next).
 */
import type { ClientProcess } from "./clients.js";
import type { Load } from "./load.js";
import type { ChaosNetwork } from "./network.js";
import type { CutProxy } from "./proxy.js";
import type { Rng } from "./rng.js";

export type FaultKind = "node SIGKILL" | "client SIGKILL" | "PostgreSQL restart" | "connection cut";

export interface FaultRecord {
  kind: FaultKind;
  /** When it started, ms after the load began. */
  at: number;
  /** How long injecting it and the recovery this run waits for took, ms. */
  ms: number;
  detail: string;
  /** Whether it happened as meant (a client killed between pay() and its answer; a connection open to cut). */
  hit: boolean;
}

export interface Planned {
  kind: FaultKind;
  at: number;
}

export function planFaults(rng: Rng, counts: Record<FaultKind, number>, durationMs: number): Planned[] {
  const kinds: FaultKind[] = [];
  for (const [kind, n] of Object.entries(counts) as Array<[FaultKind, number]>) for (let i = 0; i < n; i++) kinds.push(kind);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j] as FaultKind, kinds[i] as FaultKind];
  }
  const lead = Math.min(3_000, durationMs / 10);
  const moments = rng.moments(kinds.length, lead, durationMs - lead);
  return kinds.map((kind, i) => ({ kind, at: moments[i] as number }));
}

export interface FaultContext {
  net: ChaosNetwork;
  clients: readonly ClientProcess[];
  proxy: CutProxy;
  load: Load;
  rng: Rng;
  log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Injects the planned faults at their moments (relative to `t0`); resolves when the last one is done. */
export async function injectFaults(plan: readonly Planned[], ctx: FaultContext, t0: number): Promise<FaultRecord[]> {
  const done: FaultRecord[] = [];
  for (const p of plan) {
    const wait = t0 + p.at - Date.now();
    if (wait > 0) await sleep(wait);
    const started = Date.now();
    const record = await inject(p.kind, ctx);
    done.push({ kind: p.kind, at: started - t0, ms: Date.now() - started, ...record });
    ctx.log(`  [${((started - t0) / 1000).toFixed(1)} s] ${p.kind}: ${record.detail} (${Date.now() - started} ms)`);
  }
  return done;
}

async function inject(kind: FaultKind, ctx: FaultContext): Promise<{ detail: string; hit: boolean }> {
  const { net, rng } = ctx;
  switch (kind) {
    case "node SIGKILL": {
      const pid = net.node()?.pid;
      await net.killNode();
      const down = rng.int(0, 1_000);
      await sleep(down);
      await net.startNode();
      return { detail: `pid ${pid} killed, down ${down} ms before the restart (pid ${net.node()?.pid})`, hit: true };
    }
    case "client SIGKILL": {
      const running = ctx.clients.filter((c) => c.running);
      if (running.length === 0) return { detail: "no client running", hit: false };
      const victim = rng.pick(running);
      // Wait for one of its pay() calls to start, then kill it a random moment later, before that pay() answers
      // (a payment that answered first does not count: the next one is tried, twenty at most; after two misses the
      // moment is drawn from the first 20 ms, as a quiet machine answers a pay() in about that).
      let delay = 0;
      let mid = false;
      let tries = 0;
      while (!mid && tries < 20) {
        tries++;
        let off = (): void => undefined;
        const paying = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 8_000);
          off = victim.onNotice((n) => {
            if (n.kind === "paying") {
              clearTimeout(timer);
              resolve(true);
            }
          });
        });
        const started = await paying;
        off();
        if (!started) break;
        delay = rng.int(0, tries <= 2 ? 150 : 20);
        await sleep(delay);
        mid = ctx.load.inFlight(victim);
      }
      await victim.kill();
      await victim.start();
      return {
        detail: `${victim.config.name} killed ${mid ? `${delay} ms after a pay() started, before it answered` : "with no payment in flight"} (try ${tries}); restarted from its store`,
        hit: mid,
      };
    }
    case "PostgreSQL restart": {
      const mode = rng.pick(["fast", "immediate"] as const);
      await net.restartPg(mode);
      return { detail: `pg_ctl restart -m ${mode} under the node`, hit: true };
    }
    case "connection cut": {
      const bytes = rng.int(0, 4_000);
      // Right after a node restart every client may still be reconnecting: wait for a connection to cut.
      for (let i = 0; i < 100 && ctx.proxy.open() === 0; i++) await sleep(100);
      const cut = await ctx.proxy.cut((n) => rng.int(0, n - 1), bytes);
      return { detail: cut ? `a client connection cut after ${bytes} more bytes` : "no connection open to cut", hit: cut };
    }
  }
}
