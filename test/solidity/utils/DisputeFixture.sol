// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {HashlockResolver} from "../../../contracts/resolvers/HashlockResolver.sol";
import {SignedTransferResolver} from "../../../contracts/resolvers/SignedTransferResolver.sol";
import {AssetState, ChannelState} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {ChannelFixture} from "./ChannelFixture.sol";

/// @title MerkleBuilder
/// @notice Builds sorted-pair merkle trees (OpenZeppelin MerkleProof compatible) in Solidity: each level pairs
///         neighbours and carries an odd last node up unchanged.
library MerkleBuilder {
    /// @dev Sorted-pair keccak of two nodes, as OpenZeppelin MerkleProof hashes inner nodes.
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @notice The root of `leaves` (bytes32(0) for no leaves, the leaf itself for one).
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        if (n == 0) return bytes32(0);
        bytes32[] memory level = _copy(leaves);
        while (n > 1) {
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; ++i) {
                level[i] = 2 * i + 1 < n ? hashPair(level[2 * i], level[2 * i + 1]) : level[2 * i];
            }
            n = m;
        }
        return level[0];
    }

    /// @notice The proof of `leaves[index]` against `root(leaves)`.
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory out) {
        uint256 n = leaves.length;
        bytes32[] memory level = _copy(leaves);
        out = new bytes32[](64);
        uint256 len;
        while (n > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < n) out[len++] = level[sibling];
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; ++i) {
                level[i] = 2 * i + 1 < n ? hashPair(level[2 * i], level[2 * i + 1]) : level[2 * i];
            }
            n = m;
            index /= 2;
        }
        // Shrinks the array to the proof's length; the spare words stay allocated and unused.
        assembly ("memory-safe") {
            mstore(out, len)
        }
    }

    function _copy(bytes32[] memory a) private pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length);
        for (uint256 i = 0; i < a.length; ++i) b[i] = a[i];
    }
}

/// @title SigningWallet
/// @notice An ERC-1271 account whose owner key signs for it and which can be told to refuse ETH: a party that
///         signs states yet cannot receive a pushed payout.
contract SigningWallet is IERC1271 {
    address public immutable OWNER;
    bool public refuseEth;

    error EthRefused();

    constructor(address owner_) {
        OWNER = owner_;
    }

    receive() external payable {
        if (refuseEth) revert EthRefused();
    }

    function setRefuseEth(bool refuse) external {
        refuseEth = refuse;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view override returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == OWNER) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}

/// @title DisputeFixture
/// @notice ChannelFixture plus what the adjudicator tests share: resolvers, single-asset states, phase warps,
///         hashlock transfers and merkle trees.
abstract contract DisputeFixture is ChannelFixture {
    uint256 internal constant ORACLE_KEY = 0x0BAC1E;

    HashlockResolver internal hashlock;
    SignedTransferResolver internal signedResolver;
    address internal oracle;

    function setUp() public virtual override {
        super.setUp();
        hashlock = new HashlockResolver();
        signedResolver = new SignedTransferResolver();
        oracle = vm.addr(ORACLE_KEY);
    }

    // ─── states ──────────────────────────────────────────────────────────────────────────────────────────

    /// @dev A state with ETH only: balances, processed deposits and defund nonce.
    function _ethState(
        uint256 nonce,
        uint256 balanceAlice,
        uint256 balanceBob,
        uint256 processedAlice,
        uint256 processedBob,
        uint256 dn
    ) internal pure returns (ChannelState memory) {
        return _state(nonce, _asset(ETH, balanceAlice, balanceBob, processedAlice, processedBob, dn));
    }

    /// @dev A state listing two assets.
    function _state2(
        uint256 nonce,
        AssetState memory a,
        AssetState memory b
    ) internal pure returns (ChannelState memory s) {
        s.nonce = nonce;
        s.timeout = TIMEOUT;
        s.assets = new AssetState[](2);
        s.assets[0] = a;
        s.assets[1] = b;
    }

    function _withTimeout(ChannelState memory s, uint256 timeout) internal pure returns (ChannelState memory) {
        s.timeout = timeout;
        return s;
    }

    function _withRoot(ChannelState memory s, bytes32 root) internal pure returns (ChannelState memory) {
        s.transfersRoot = root;
        return s;
    }

    /// @dev Both parties' signatures of `s` for the fixture channel.
    function _sigs(ChannelState memory s) internal view returns (bytes memory sa, bytes memory sb) {
        sa = _signState(ALICE_KEY, s);
        sb = _signState(BOB_KEY, s);
    }

    // ─── phases ──────────────────────────────────────────────────────────────────────────────────────────

    function _record() internal view returns (IAdjudicator.DisputeRecord memory) {
        return channel.disputeRecord();
    }

    function _warpToDefundPhase() internal {
        vm.warp(_record().consensusExpiry);
    }

    function _warpPastDefundPhase() internal {
        vm.warp(_record().defundExpiry);
    }

    /// @dev Disputes `s` and moves to the first second of its defund phase.
    function _disputeToDefund(ChannelState memory s) internal {
        _dispute(s);
        _warpToDefundPhase();
    }

    /// @dev Disputes again, as alice, the state of a dispute that is over: only a party may re-open it.
    function _reopen(ChannelState memory s) internal {
        (bytes memory sa, bytes memory sb) = _sigs(s);
        vm.prank(alice);
        channel.disputeChannel(s, sa, sb);
    }

    /// @dev `_reopen`, then moves to the first second of the new defund phase.
    function _reopenToDefund(ChannelState memory s) internal {
        _reopen(s);
        _warpToDefundPhase();
    }

    function _defund(ChannelState memory s, address asset) internal {
        channel.defundChannel(s, _only(asset));
    }

    function _pair(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        list[0] = a;
        list[1] = b;
    }

    // ─── accounting ──────────────────────────────────────────────────────────────────────────────────────

    /// @dev `_assertLedger` for any asset (the fixture's version reads the fixture token's balance only).
    function _assertLedgerOf(address asset) internal view {
        uint256 held = asset == ETH ? address(channel).balance : IERC20(asset).balanceOf(address(channel));
        assertEq(
            held + channel.totalPaidOut(asset),
            channel.totalDepositsAlice(asset) + channel.totalDepositsBob(asset),
            "ledger: held + paid out != deposits"
        );
    }

    /// @dev The channel's holdings of `asset` cover every exit recorded for its parties.
    function _assertExitsBacked(address asset) internal view {
        uint256 held = asset == ETH ? address(channel).balance : IERC20(asset).balanceOf(address(channel));
        assertLe(channel.exitOf(asset, alice) + channel.exitOf(asset, bob), held, "exits not backed");
    }

    // ─── transfers ───────────────────────────────────────────────────────────────────────────────────────

    /// @dev SHA-256 of the 32-byte preimage, as HashlockResolver computes locks.
    function _lockHash(bytes32 preimage) internal pure returns (bytes32) {
        return sha256(abi.encode(preimage));
    }

    function _hashlockTransfer(
        uint256 amount,
        address initiator,
        address responder,
        bytes32 preimage,
        uint256 expiry,
        uint256 timeout,
        bytes32 salt
    ) internal view returns (Transfer memory) {
        return
            _transfer(
                address(hashlock),
                ETH,
                amount,
                initiator,
                responder,
                timeout,
                salt,
                abi.encode(_lockHash(preimage), expiry)
            );
    }

    function _id(Transfer memory t) internal view returns (bytes32) {
        return hasher.transferId(t);
    }

    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        return MerkleBuilder.root(leaves);
    }

    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory) {
        return MerkleBuilder.proof(leaves, index);
    }

    function _noProof() internal pure returns (bytes32[] memory) {
        return new bytes32[](0);
    }

    function _one(bytes32 x) internal pure returns (bytes32[] memory list) {
        list = new bytes32[](1);
        list[0] = x;
    }
}
