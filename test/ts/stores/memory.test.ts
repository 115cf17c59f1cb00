/** The conformance suite (conformance.ts) on the memory backend: a location is a MemoryDatabase. */
import { MemoryDatabase, MemoryStore } from "../../../src/stores/memory.js";
import { describeConformance } from "./conformance.js";

const databases = new Map<string, MemoryDatabase>();
let next = 0;

describeConformance({
  name: "memory",
  fresh: async () => {
    const location = `memory-${next++}`;
    databases.set(location, new MemoryDatabase());
    return location;
  },
  open: async (location, options) => MemoryStore.open(databases.get(location), options?.onCommitPoint),
  plant: async (location, kind) => {
    if (kind !== "newer-schema") return false; // a memory database cannot be corrupt or foreign
    (databases.get(location) as MemoryDatabase).schemaVersion = 99;
    return true;
  },
  afterEach: async () => databases.clear(),
});
