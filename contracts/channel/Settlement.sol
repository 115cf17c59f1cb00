// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../interfaces/IAdjudicator.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";
import {AssetState} from "../types/ChannelTypes.sol";
import {ChannelCore} from "./ChannelCore.sol";

/// @title Settlement
/// @notice The one rule that pays an asset out of a channel from a state, shared by the adjudicator (defund after
///         a dispute) and the cooperative close: each side gets its balance plus the deposits the state has not
///         processed, once per defund nonce.
abstract contract Settlement is ChannelCore {
    /// @dev Pays out one asset from a state's figures for it.
    function _settleAsset(address a, address b, AssetState memory s) internal {
        ChannelStorage.Ledger storage ledger = ChannelStorage.layout().ledgers[s.asset];
        ChannelStorage.Ledger memory current = ledger;
        if (s.defundNonce > type(uint24).max) revert IAdjudicator.DefundNonceTooLarge(s.defundNonce);
        if (current.defundNonce >= s.defundNonce) {
            revert IAdjudicator.DefundNonceNotFresh(s.asset, current.defundNonce, s.defundNonce);
        }
        uint256 aliceTotal = current.aliceDeposits;
        uint256 bobTotal = _bobDeposits(s.asset, current);
        uint256 toAlice = s.balanceAlice + (aliceTotal > s.processedAlice ? aliceTotal - s.processedAlice : 0);
        uint256 toBob = s.balanceBob + (bobTotal > s.processedBob ? bobTotal - s.processedBob : 0);

        // Effects first: record the defund nonce and count both payouts as paid; a push that fails is moved
        // from paid-out into its owner's exit by _pushCounted.
        uint256 paid = uint256(current.paidOut) + toAlice + toBob;
        if (paid > type(uint112).max) revert AmountOverflow(paid);
        // One write of the whole slot (alice's deposits and the claims flag unchanged).
        ChannelStorage.Ledger memory next = ChannelStorage.Ledger(
            current.aliceDeposits,
            uint112(paid),
            uint24(s.defundNonce),
            current.hasExits
        );
        _writeLedger(ledger, next);
        emit IAdjudicator.AssetDefunded(s.asset, toAlice, toBob, s.defundNonce);

        bool hasExits = _pushCounted(ledger, s.asset, a, toAlice, current.hasExits);
        _pushCounted(ledger, s.asset, b, toBob, hasExits);
    }

    /// @dev Stores a whole ledger in one SSTORE: the fields packed exactly as Solidity lays out `Ledger`
    ///      (aliceDeposits in bits 0-111, paidOut 112-223, defundNonce 224-247, hasExits 248-255), which the
    ///      getters and every other unit then read back; the values are already range-checked by the caller.
    function _writeLedger(ChannelStorage.Ledger storage ledger, ChannelStorage.Ledger memory value) private {
        uint256 word = uint256(value.aliceDeposits) |
            (uint256(value.paidOut) << 112) |
            (uint256(value.defundNonce) << 224) |
            (value.hasExits ? uint256(1) << 248 : 0);
        // A single store of the packed slot computed above (the compiler would emit one read-modify-write per
        // field); `ledger.slot` is the mapping entry's own slot.
        assembly ("memory-safe") {
            sstore(ledger.slot, word)
        }
    }
}
