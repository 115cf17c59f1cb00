// `npm run demo`: the full channel life cycle on the embedded Hardhat network.
// Not yet: the channel, dispute and SDK issues come first. This prints that
// honestly instead of pretending.
console.log("Switchyard demo: not yet implemented (it lands with the deploy/demo issue).");
