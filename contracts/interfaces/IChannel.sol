// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "./IAdjudicator.sol";
import {IChannelCore} from "./IChannelCore.sol";
import {ICloseUnit} from "./ICloseUnit.sol";
import {IDepositUnit} from "./IDepositUnit.sol";
import {IWithdrawUnit} from "./IWithdrawUnit.sol";

/// @title IChannel
/// @notice The whole interface of a Switchyard channel: the units composed into the mastercopy.
// The units declare everything; this interface only composes them.
// solhint-disable-next-line no-empty-blocks
interface IChannel is IChannelCore, IDepositUnit, IWithdrawUnit, ICloseUnit, IAdjudicator {}
