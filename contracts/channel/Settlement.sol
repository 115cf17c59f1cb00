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
        ChannelStorage.Ledger storage ledger = ChannelStorage.ledgerOf(s.asset);
        uint256 word;
        // One read of the packed ledger slot: aliceDeposits in bits 0-111, paidOut 112-223, defundNonce 224-247,
        // hasExits 248-255, exactly as Solidity lays out ChannelStorage.Ledger (which every getter reads back).
        assembly ("memory-safe") {
            word := sload(ledger.slot)
        }
        uint256 recordedNonce = (word >> 224) & type(uint24).max;
        if (s.defundNonce > type(uint24).max) revert IAdjudicator.DefundNonceTooLarge(s.defundNonce);
        if (recordedNonce >= s.defundNonce) {
            revert IAdjudicator.DefundNonceNotFresh(s.asset, recordedNonce, s.defundNonce);
        }
        uint256 aliceTotal = word & type(uint112).max;
        uint256 paidOut = (word >> 112) & type(uint112).max;
        uint256 bobTotal = _bobDepositsOf(s.asset, aliceTotal, paidOut);
        uint256 toAlice = s.balanceAlice + (aliceTotal > s.processedAlice ? aliceTotal - s.processedAlice : 0);
        uint256 toBob = s.balanceBob + (bobTotal > s.processedBob ? bobTotal - s.processedBob : 0);

        // Effects first: record the defund nonce and count both payouts as paid; a push that fails is moved
        // from paid-out into its owner's exit by _pushCounted.
        uint256 paid = paidOut + toAlice + toBob;
        if (paid > type(uint112).max) revert AmountOverflow(paid);
        // One write of the whole slot: alice's deposits and the claims flag kept, paid-out and the defund nonce
        // replaced (both range-checked above).
        word = (word & (type(uint112).max | (uint256(1) << 248))) | (paid << 112) | (s.defundNonce << 224);
        assembly ("memory-safe") {
            sstore(ledger.slot, word)
        }
        emit IAdjudicator.AssetDefunded(s.asset, toAlice, toBob, s.defundNonce);

        bool hasExits = _pushCounted(ledger, s.asset, a, toAlice, (word >> 248) != 0);
        _pushCounted(ledger, s.asset, b, toBob, hasExits);
    }
}
