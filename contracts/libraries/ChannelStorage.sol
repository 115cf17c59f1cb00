// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../interfaces/IAdjudicator.sol";

/// @title ChannelStorage
/// @notice The whole storage of a channel, in one ERC-7201 namespace ("switchyard.channel"), so its layout is
///         explicit, shared by every unit, and known to the factory (which writes alice's first ETH deposit from
///         the proxy's creation code).
library ChannelStorage {
    /// @notice One asset's on-chain ledger, packed in one slot.
    /// @param aliceDeposits Alice's cumulative tracked deposits.
    /// @param paidOut Everything that has left the channel in this asset.
    /// @param defundNonce The highest defund nonce paid out (by a defund or a close).
    /// @param hasExits Whether claims are kept on this asset: only then must a payout leave their backing alone,
    ///        which costs a balance query and a cold read that the usual payout never pays.
    struct Ledger {
        uint112 aliceDeposits;
        uint112 paidOut;
        uint24 defundNonce;
        bool hasExits;
    }

    /// @custom:storage-location erc7201:switchyard.channel
    struct Layout {
        mapping(address asset => Ledger) ledgers;
        IAdjudicator.DisputeRecord record;
        bytes32 disputedStateHash;
        mapping(uint256 word => uint256 bits) withdrawBitmap;
        mapping(address asset => mapping(address owner => uint256 amount)) exits;
        mapping(address owner => uint256 nonce) exitNonces;
        mapping(bytes32 transferId => IAdjudicator.TransferRecord) transfers;
        mapping(address asset => uint256 amount) exitsOutstanding;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("switchyard.channel")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant LAYOUT_SLOT = 0x3d334746016b0464bc993543d60970eeb91e8badcf4775b9c78bfabbc1866e00;

    /// @dev The slot of `ledgers[address(0)]` (native currency): keccak256(abi.encode(address(0), LAYOUT_SLOT)).
    ///      `aliceDeposits` occupies its lowest 112 bits. Checked against the compiler's own layout by a test.
    bytes32 internal constant ETH_LEDGER_SLOT = 0x51becf1ee0e2df9e00a427b4ca41e88362ad521c27296660b11a0d5402405472;

    /// @notice The channel's storage.
    function layout() internal pure returns (Layout storage $) {
        // Points the struct at its fixed namespace slot; nothing else is read or written here.
        assembly ("memory-safe") {
            $.slot := LAYOUT_SLOT
        }
    }
}
