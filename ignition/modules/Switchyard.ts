/**
 * The Switchyard deployment as one Hardhat Ignition module.
 *
 * It deploys the ChannelFactory (which deploys the ChannelMastercopy in its own constructor, with the same
 * limits) and the two conditional-transfer resolvers. The three parameters come from the reviewed per-network
 * file `ignition/parameters/<network>.json` and have no defaults on purpose: a deployment without a reviewed
 * file is refused.
 *
 * `npx hardhat deploy --network <name>` (scripts/tasks/deploy.ts) validates the parameters, runs this module
 * with Ignition's create2 strategy (so the same build and parameters give the same addresses on every chain)
 * and writes the flat records under deployments/<network>/.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The module id: the key of the parameters object in ignition/parameters/<network>.json. */
export const SWITCHYARD_MODULE_ID = "Switchyard";

/** Contracts of the module that may already be on chain at their deterministic address. */
export interface ExistingContracts {
  ChannelFactory?: string;
  HashlockResolver?: string;
  SignedTransferResolver?: string;
}

/**
 * The module; a contract listed in `existing` is used where it is instead of deployed. Create2 addresses
 * depend only on the code, so the resolvers (which take no parameters) are shared by every parameter set on
 * a chain, and anyone may have deployed any of these contracts at its address already.
 */
export function buildSwitchyardModule(existing: ExistingContracts = {}) {
  return buildModule(SWITCHYARD_MODULE_ID, (m) => {
    const channelFactory =
      existing.ChannelFactory !== undefined
        ? m.contractAt("ChannelFactory", existing.ChannelFactory)
        : m.contract("ChannelFactory", [
            // AssetLimit[]: [{ asset, channelCapacity, transferCap }], at most 4 entries.
            m.getParameter("limits"),
            // Dispute-phase bounds in seconds: 0 < minTimeout <= maxTimeout < 2^32.
            m.getParameter("minTimeout"),
            m.getParameter("maxTimeout"),
          ]);
    const hashlockResolver =
      existing.HashlockResolver !== undefined
        ? m.contractAt("HashlockResolver", existing.HashlockResolver)
        : m.contract("HashlockResolver");
    const signedTransferResolver =
      existing.SignedTransferResolver !== undefined
        ? m.contractAt("SignedTransferResolver", existing.SignedTransferResolver)
        : m.contract("SignedTransferResolver");

    // The mastercopy is created by the factory's constructor; reading its address costs no transaction.
    const mastercopyAddress = m.staticCall(channelFactory, "mastercopy", [], 0, { id: "ChannelFactory_mastercopy" });
    const channelMastercopy = m.contractAt("ChannelMastercopy", mastercopyAddress);

    return { channelFactory, channelMastercopy, hashlockResolver, signedTransferResolver };
  });
}

export default buildSwitchyardModule();
