// Survivors that are not equivalent but are explained (why no test kills them yet, or why none can), matched like
// EQUIVALENT in config.mjs. Shown beside each survivor in reports/mutation.md.
export const SURVIVOR_NOTES = [];
