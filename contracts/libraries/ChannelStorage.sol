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
        /// @dev Token ledgers. The native currency's ledger is not here but at ETH_LEDGER_SLOT (see ledgerOf).
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

    /// @dev The slot of the native currency's ledger: storage slot 0 of the channel, outside the namespace, so that
    ///      the proxy's code addresses it with one byte (PUSH0) instead of 33 (PUSH32 of a mapping slot): 32 bytes
    ///      of code, 6,400 gas, less in every deployment (see ChannelProxy). Safe because no contract of a channel
    ///      declares a state variable (all storage is in this namespace), as the re-entry lock uses transient slot 0;
    ///      `test_storage_slotZeroHoldsOnlyTheEthLedgerAndNoLowSlotIsUsed` pins that slot 0 is only the ETH ledger.
    ///      `aliceDeposits` occupies its lowest 112 bits.
    bytes32 internal constant ETH_LEDGER_SLOT = bytes32(0);

    /// @notice The ledger of `asset`: ETH_LEDGER_SLOT for the native currency (address(0)), else `ledgers[asset]`.
    function ledgerOf(address asset) internal view returns (Ledger storage ledger) {
        if (asset == address(0)) {
            // The native currency's ledger at its fixed slot (ETH_LEDGER_SLOT = 0); nothing is read or written here.
            assembly ("memory-safe") {
                ledger.slot := 0
            }
        } else {
            ledger = layout().ledgers[asset];
        }
    }

    /// @notice The channel's storage.
    function layout() internal pure returns (Layout storage $) {
        // Points the struct at its fixed namespace slot; nothing else is read or written here.
        assembly ("memory-safe") {
            $.slot := LAYOUT_SLOT
        }
    }
}
