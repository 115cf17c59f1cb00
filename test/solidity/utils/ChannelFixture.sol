// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelFactory} from "../../../contracts/ChannelFactory.sol";
import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {IDeploymentConfig} from "../../../contracts/interfaces/IDeploymentConfig.sol";
import {ChannelHashingHarness} from "../../../contracts/test/ChannelHashingHarness.sol";
import {MockERC20} from "../../../contracts/test/mocks/MockERC20.sol";
import {AssetState, ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {TestBase} from "./TestBase.sol";

/// @title ChannelFixture
/// @notice Shared base of the channel tests: deploys a factory with limits for ETH and a token, creates the
///         alice–bob channel, funds both parties, and signs states and commitments with `vm.sign`.
abstract contract ChannelFixture is TestBase {
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;
    uint256 internal constant EVE_KEY = 0xE7E;
    bytes32 internal constant SALT = keccak256("switchyard.test.salt");

    uint256 internal constant ETH_CAPACITY = 1_000 ether;
    uint256 internal constant ETH_TRANSFER_CAP = 100 ether;
    uint256 internal constant TOKEN_CAPACITY = 1_000_000e18;
    uint256 internal constant TOKEN_TRANSFER_CAP = 100_000e18;
    uint256 internal constant MIN_TIMEOUT = 1 hours;
    uint256 internal constant MAX_TIMEOUT = 7 days;
    uint256 internal constant TIMEOUT = 1 days;
    uint256 internal constant START = 1_800_000_000;

    address internal constant ETH = address(0);

    address internal alice;
    address internal bob;
    address internal eve;
    ChannelFactory internal factory;
    ChannelHashingHarness internal hasher;
    MockERC20 internal token;
    IChannel internal channel;

    function setUp() public virtual {
        vm.warp(START);
        alice = vm.addr(ALICE_KEY);
        bob = vm.addr(BOB_KEY);
        eve = vm.addr(EVE_KEY);
        hasher = new ChannelHashingHarness();
        token = new MockERC20("Test Token", "TST", 18);
        factory = _newFactory(_defaultLimits(), MIN_TIMEOUT, MAX_TIMEOUT);
        channel = IChannel(factory.createChannel(alice, bob, SALT));
        vm.deal(alice, 10_000 ether);
        vm.deal(bob, 10_000 ether);
        vm.deal(eve, 10_000 ether);
        token.mint(alice, 10_000_000e18);
        token.mint(bob, 10_000_000e18);
        vm.prank(alice);
        token.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        token.approve(address(factory), type(uint256).max);
    }

    // ─── deployment ──────────────────────────────────────────────────────────────────────────────────────

    function _defaultLimits() internal view returns (IDeploymentConfig.AssetLimit[] memory limits) {
        limits = new IDeploymentConfig.AssetLimit[](2);
        limits[0] = IDeploymentConfig.AssetLimit(ETH, ETH_CAPACITY, ETH_TRANSFER_CAP);
        limits[1] = IDeploymentConfig.AssetLimit(address(token), TOKEN_CAPACITY, TOKEN_TRANSFER_CAP);
    }

    function _newFactory(
        IDeploymentConfig.AssetLimit[] memory limits,
        uint256 minTimeout,
        uint256 maxTimeout
    ) internal returns (ChannelFactory) {
        return new ChannelFactory(limits, minTimeout, maxTimeout);
    }

    // ─── deposits ────────────────────────────────────────────────────────────────────────────────────────

    function _depositAliceEth(uint256 amount) internal {
        vm.prank(alice);
        channel.depositAlice{value: amount}(ETH, amount);
    }

    function _depositBobEth(uint256 amount) internal {
        vm.prank(bob);
        (bool ok, ) = address(channel).call{value: amount}("");
        assertTrue(ok, "plain ETH deposit failed");
    }

    function _depositAliceToken(uint256 amount) internal {
        vm.prank(alice);
        channel.depositAlice(address(token), amount);
    }

    function _depositBobToken(uint256 amount) internal {
        vm.prank(bob);
        assertTrue(token.transfer(address(channel), amount), "plain token deposit failed");
    }

    // ─── states ──────────────────────────────────────────────────────────────────────────────────────────

    function _asset(
        address asset,
        uint256 balanceAlice,
        uint256 balanceBob,
        uint256 processedAlice,
        uint256 processedBob,
        uint256 defundNonce
    ) internal pure returns (AssetState memory) {
        return AssetState(asset, balanceAlice, balanceBob, processedAlice, processedBob, defundNonce);
    }

    function _state(uint256 nonce, AssetState memory a) internal pure returns (ChannelState memory s) {
        return _stateWithRoot(nonce, bytes32(0), a);
    }

    function _stateWithRoot(
        uint256 nonce,
        bytes32 root,
        AssetState memory a
    ) internal pure returns (ChannelState memory s) {
        s.nonce = nonce;
        s.timeout = TIMEOUT;
        s.transfersRoot = root;
        s.assets = new AssetState[](1);
        s.assets[0] = a;
    }

    function _final(uint256 nonce, AssetState memory a) internal pure returns (FinalState memory f) {
        f.nonce = nonce;
        f.assets = new AssetState[](1);
        f.assets[0] = a;
    }

    function _withdrawCommitment(
        address asset,
        address recipient,
        uint256 amount,
        uint256 nonce
    ) internal pure returns (WithdrawCommitment memory) {
        return WithdrawCommitment(asset, recipient, amount, nonce, address(0), "");
    }

    // ─── signatures ──────────────────────────────────────────────────────────────────────────────────────

    function _signState(uint256 key, ChannelState memory s) internal view returns (bytes memory) {
        return signDigest(key, hasher.channelStateDigest(address(channel), s));
    }

    function _signStateFor(address ch, uint256 key, ChannelState memory s) internal view returns (bytes memory) {
        return signDigest(key, hasher.channelStateDigest(ch, s));
    }

    function _signFinal(uint256 key, FinalState memory f) internal view returns (bytes memory) {
        return signDigest(key, hasher.finalStateDigest(address(channel), f));
    }

    function _signWithdraw(uint256 key, WithdrawCommitment memory w) internal view returns (bytes memory) {
        return signDigest(key, hasher.withdrawDigest(address(channel), w));
    }

    function _signResolution(uint256 key, bytes32 id, bytes memory data) internal view returns (bytes memory) {
        return signDigest(key, hasher.transferResolutionDigest(address(channel), id, data));
    }

    function _signExit(
        uint256 key,
        address asset,
        address recipient,
        uint256 nonce
    ) internal view returns (bytes memory) {
        return signDigest(key, hasher.exitDigest(address(channel), asset, recipient, nonce));
    }

    // ─── actions ─────────────────────────────────────────────────────────────────────────────────────────

    function _dispute(ChannelState memory s) internal {
        channel.disputeChannel(s, _signState(ALICE_KEY, s), _signState(BOB_KEY, s));
    }

    function _close(FinalState memory f) internal {
        channel.closeChannel(f, _signFinal(ALICE_KEY, f), _signFinal(BOB_KEY, f));
    }

    function _withdraw(WithdrawCommitment memory w) internal {
        channel.withdraw(w, _signWithdraw(ALICE_KEY, w), _signWithdraw(BOB_KEY, w));
    }

    function _only(address asset) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = asset;
    }

    // ─── transfers ───────────────────────────────────────────────────────────────────────────────────────

    function _transfer(
        address resolver,
        address asset,
        uint256 amount,
        address initiator,
        address responder,
        uint256 timeout,
        bytes32 salt,
        bytes memory data
    ) internal view returns (Transfer memory) {
        return Transfer(address(channel), resolver, asset, amount, initiator, responder, timeout, salt, data);
    }

    function _leaf(Transfer memory t) internal view returns (bytes32) {
        return hasher.leaf(hasher.transferId(t));
    }

    /// @dev Sorted-pair keccak, as OpenZeppelin MerkleProof hashes inner nodes.
    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    // ─── accounting ──────────────────────────────────────────────────────────────────────────────────────

    function _balanceOf(address asset, address who) internal view returns (uint256) {
        return asset == ETH ? who.balance : token.balanceOf(who);
    }

    /// @dev The ledger identity every scenario must keep: what the channel holds plus what it paid out equals
    ///      alice's tracked deposits plus bob's (bob's being defined as the rest, it must never be clamped).
    function _assertLedger(address asset) internal view {
        uint256 held = _balanceOf(asset, address(channel));
        assertEq(
            held + channel.totalPaidOut(asset),
            channel.totalDepositsAlice(asset) + channel.totalDepositsBob(asset),
            "ledger: held + paid out != deposits"
        );
    }
}
