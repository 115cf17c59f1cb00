/** Routing across nodes, the pure parts (docs/PROTOCOL.md §17): announcements, the graph, pathfinding, route checks. */
export * from "./types.js";
export * from "./errors.js";
export * from "./fees.js";
export * from "./announce.js";
export * from "./schemas.js";
export * from "./graph.js";
export * from "./pathfind.js";
export * from "./validate.js";
export * from "./instruction.js";
