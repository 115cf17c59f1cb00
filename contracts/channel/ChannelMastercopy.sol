// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IChannel} from "../interfaces/IChannel.sol";
import {IDeploymentConfig} from "../interfaces/IDeploymentConfig.sol";
import {Adjudicator} from "./Adjudicator.sol";
import {ChannelCore} from "./ChannelCore.sol";
import {CloseUnit} from "./CloseUnit.sol";
import {DepositUnit} from "./DepositUnit.sol";
import {WithdrawUnit} from "./WithdrawUnit.sol";

/// @title ChannelMastercopy
/// @notice The one implementation every Switchyard channel proxy delegates to: the deposit, withdraw, close and
///         adjudicator units composed. Deployed by the factory in its constructor; it has no owner, no upgrade
///         path and refuses direct use (every entry point works only through a proxy).
contract ChannelMastercopy is DepositUnit, WithdrawUnit, CloseUnit, Adjudicator, IChannel {
    /// @param factory_ The factory that deploys this mastercopy's proxies.
    /// @param limits The deployment's per-asset limits.
    /// @param minTimeout_ The shortest dispute phase.
    /// @param maxTimeout_ The longest dispute phase.
    constructor(
        address factory_,
        IDeploymentConfig.AssetLimit[] memory limits,
        uint256 minTimeout_,
        uint256 maxTimeout_
    ) ChannelCore(factory_, limits, minTimeout_, maxTimeout_) {}
}
