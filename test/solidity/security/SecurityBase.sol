// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {DisputeFixture} from "../utils/DisputeFixture.sol";

/// @title SecurityBase
/// @notice Shared base of the adversarial matrix (test/solidity/security): a snapshot of everything an attack could
///         move — the channel's holdings, both parties' and the attacker's balances, every ledger getter, the
///         parties' exits and exit nonces, the dispute record — and an assertion that all of it is unchanged.
abstract contract SecurityBase is DisputeFixture {
    /// @dev One asset's figures in one channel.
    struct AssetSnap {
        address asset;
        uint256 held;
        uint256 aliceBalance;
        uint256 bobBalance;
        uint256 eveBalance;
        uint256 depositsAlice;
        uint256 depositsBob;
        uint256 paidOut;
        uint256 defundNonce;
        uint256 exitAlice;
        uint256 exitBob;
        uint256 exitsOutstanding;
    }

    /// @dev Everything an attack on one channel could change.
    struct Snap {
        IChannel ch;
        AssetSnap[] assets;
        IAdjudicator.DisputeRecord record;
        bytes32 disputedHash;
        uint256 exitNonceAlice;
        uint256 exitNonceBob;
    }

    // ─── snapshots ───────────────────────────────────────────────────────────────────────────────────────

    /// @dev `who`'s balance of `asset` (address(0) for ETH); works for every mock token (all expose balanceOf).
    function _bal(address asset, address who) internal view returns (uint256) {
        return asset == ETH ? who.balance : IERC20(asset).balanceOf(who);
    }

    function _snapAsset(IChannel ch, address asset) internal view returns (AssetSnap memory a) {
        address pa = ch.alice();
        address pb = ch.bob();
        a.asset = asset;
        a.held = _bal(asset, address(ch));
        a.aliceBalance = _bal(asset, pa);
        a.bobBalance = _bal(asset, pb);
        a.eveBalance = _bal(asset, eve);
        a.depositsAlice = ch.totalDepositsAlice(asset);
        a.depositsBob = ch.totalDepositsBob(asset);
        a.paidOut = ch.totalPaidOut(asset);
        a.defundNonce = ch.defundNonce(asset);
        a.exitAlice = ch.exitOf(asset, pa);
        a.exitBob = ch.exitOf(asset, pb);
        a.exitsOutstanding = ch.exitsOutstanding(asset);
    }

    /// @dev A snapshot of `ch` over `assets`.
    function _snapOf(IChannel ch, address[] memory assets) internal view returns (Snap memory s) {
        s.ch = ch;
        s.assets = new AssetSnap[](assets.length);
        for (uint256 i = 0; i < assets.length; ++i) s.assets[i] = _snapAsset(ch, assets[i]);
        s.record = ch.disputeRecord();
        s.disputedHash = ch.disputedStateHash();
        s.exitNonceAlice = ch.exitNonce(ch.alice());
        s.exitNonceBob = ch.exitNonce(ch.bob());
    }

    /// @dev A snapshot of the fixture channel over ETH and the fixture token.
    function _snap() internal view returns (Snap memory) {
        return _snapOf(channel, _pair(ETH, address(token)));
    }

    /// @dev A snapshot of the fixture channel over ETH, the fixture token and `extra`.
    function _snapWith(address extra) internal view returns (Snap memory) {
        address[] memory list = new address[](3);
        list[0] = ETH;
        list[1] = address(token);
        list[2] = extra;
        return _snapOf(channel, list);
    }

    /// @dev Asserts that nothing in `s` changed.
    function _assertUnchanged(Snap memory s) internal view {
        Snap memory n = _snapOf(s.ch, _assetsOf(s));
        for (uint256 i = 0; i < s.assets.length; ++i) _assertAssetEq(s.assets[i], n.assets[i]);
        assertEq(uint256(n.record.nonce), uint256(s.record.nonce), "record nonce changed");
        assertEq(uint256(n.record.consensusExpiry), uint256(s.record.consensusExpiry), "consensus expiry changed");
        assertEq(uint256(n.record.defundExpiry), uint256(s.record.defundExpiry), "defund expiry changed");
        assertEq(n.disputedHash, s.disputedHash, "disputed state hash changed");
        assertEq(n.exitNonceAlice, s.exitNonceAlice, "alice's exit nonce changed");
        assertEq(n.exitNonceBob, s.exitNonceBob, "bob's exit nonce changed");
    }

    function _assetsOf(Snap memory s) private pure returns (address[] memory list) {
        list = new address[](s.assets.length);
        for (uint256 i = 0; i < s.assets.length; ++i) list[i] = s.assets[i].asset;
    }

    function _assertAssetEq(AssetSnap memory a, AssetSnap memory b) private pure {
        assertEq(b.held, a.held, "channel holdings changed");
        assertEq(b.aliceBalance, a.aliceBalance, "alice's balance changed");
        assertEq(b.bobBalance, a.bobBalance, "bob's balance changed");
        assertEq(b.eveBalance, a.eveBalance, "attacker's balance changed");
        assertEq(b.depositsAlice, a.depositsAlice, "totalDepositsAlice changed");
        assertEq(b.depositsBob, a.depositsBob, "totalDepositsBob changed");
        assertEq(b.paidOut, a.paidOut, "totalPaidOut changed");
        assertEq(b.defundNonce, a.defundNonce, "defundNonce changed");
        assertEq(b.exitAlice, a.exitAlice, "alice's exit changed");
        assertEq(b.exitBob, a.exitBob, "bob's exit changed");
        assertEq(b.exitsOutstanding, a.exitsOutstanding, "exitsOutstanding changed");
    }

    // ─── signing helpers for any channel ─────────────────────────────────────────────────────────────────

    function _signFinalFor(address ch, uint256 key, FinalState memory f) internal view returns (bytes memory) {
        return signDigest(key, hasher.finalStateDigest(ch, f));
    }

    function _signWithdrawFor(
        address ch,
        uint256 key,
        WithdrawCommitment memory w
    ) internal view returns (bytes memory) {
        return signDigest(key, hasher.withdrawDigest(ch, w));
    }

    /// @dev Both parties' signatures of a final state for the fixture channel.
    function _finalSigs(FinalState memory f) internal view returns (bytes memory sa, bytes memory sb) {
        sa = _signFinal(ALICE_KEY, f);
        sb = _signFinal(BOB_KEY, f);
    }

    /// @dev Both parties' signatures of a withdraw commitment for the fixture channel.
    function _withdrawSigs(WithdrawCommitment memory w) internal view returns (bytes memory sa, bytes memory sb) {
        sa = _signWithdraw(ALICE_KEY, w);
        sb = _signWithdraw(BOB_KEY, w);
    }

    /// @dev The final state with the same nonce and assets as `s`.
    function _finalOf(ChannelState memory s) internal pure returns (FinalState memory f) {
        f.nonce = s.nonce;
        f.assets = s.assets;
    }

    /// @dev A high-s twin of a valid 65-byte signature (same signer, s' = n - s, v flipped).
    function _highS(bytes memory sig) internal pure returns (bytes memory) {
        (bytes32 r, bytes32 s, uint8 v) = _split(sig);
        return abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    function _split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        // Reads r, s and v from a 65-byte signature held in memory (length word first).
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }
}
