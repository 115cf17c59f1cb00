// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {GasBurningResolver} from "../../../contracts/test/mocks/GasBurningResolver.sol";
import {OverpayingResolver} from "../../../contracts/test/mocks/OverpayingResolver.sol";
import {RevertingResolver} from "../../../contracts/test/mocks/RevertingResolver.sol";
import {StateChangingResolver} from "../../../contracts/test/mocks/StateChangingResolver.sol";
import {ChannelState} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title Resolver attacks
/// @notice A hostile or broken resolver cannot pay out more than was locked, cannot settle a transfer through a
///         revert, an out-of-gas or a state change, and cannot block the initiator's refund after the deadline.
contract SecurityResolversTest is SecurityBase {
    uint256 internal constant DEP = 10 ether;
    uint256 internal constant AMOUNT = 3 ether;
    uint256 internal constant T_TIMEOUT = 2 days;
    bytes32 internal constant PREIMAGE = keccak256("resolver preimage");
    /// @dev RESOLVER_GAS * 64 / 63 plus the channel's reserve for the call itself.
    uint256 internal constant RESOLVER_REQUIRED = 162_380;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(DEP);
        _depositBobEth(DEP);
    }

    /// @dev Locks AMOUNT from alice to bob under `resolver` with `data`, disputes it and opens its window.
    function _lock(address resolver, bytes memory data) internal returns (Transfer memory t) {
        t = _transfer(resolver, ETH, AMOUNT, alice, bob, T_TIMEOUT, bytes32(0), data);
        ChannelState memory s = _stateWithRoot(5, _leaf(t), _asset(ETH, DEP - AMOUNT, DEP, DEP, DEP, 1));
        _disputeToDefund(s);
        _defund(s, ETH); // the balances leave; the locked amount stays until the transfer settles
        channel.disputeTransfer(s, t, _noProof());
    }

    function _deadlineOf(Transfer memory t) internal view returns (uint256) {
        return channel.transferRecord(_id(t)).settleDeadline;
    }

    /// @dev The responder settles `t` with `evidence`, expecting ResolverFailed(resolver) and no effect.
    function _settleFails(Transfer memory t, bytes memory evidence) internal {
        bytes32 id = _id(t);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ResolverFailed.selector, t.resolver));
        vm.prank(bob);
        channel.defundTransfer(t, evidence, "");
        _assertUnchanged(snap);
        assertTrue(!channel.transferRecord(id).settled, "settled");
    }

    /// @dev After the deadline anyone refunds the whole amount to alice without asking the resolver.
    function _refundsAfterDeadline(Transfer memory t) internal {
        vm.warp(_deadlineOf(t));
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        uint256 held = address(channel).balance;
        vm.prank(eve);
        channel.defundTransfer(t, "", "");
        assertEq(alice.balance - aliceBefore, AMOUNT, "initiator refunded exactly");
        assertEq(bob.balance, bobBefore, "responder paid");
        assertEq(held - address(channel).balance, AMOUNT, "channel paid the locked amount only");
        assertEq(address(channel).balance, 0, "channel emptied");
        assertTrue(channel.transferRecord(_id(t)).settled, "not settled");
        _assertLedger(ETH);
    }

    // ─── over-payment ────────────────────────────────────────────────────────────────────────────────────

    function _assertCappedPayout(Transfer memory t) internal {
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferSettled(_id(t), AMOUNT, 0);
        vm.prank(bob);
        channel.defundTransfer(t, "", "");
        assertEq(bob.balance - bobBefore, AMOUNT, "responder paid the locked amount, no more");
        assertEq(alice.balance, aliceBefore, "initiator");
        assertEq(address(channel).balance, 0, "nothing else left the channel");
        assertEq(channel.totalPaidOut(ETH), 2 * DEP, "paid out");
        _assertLedger(ETH);
    }

    function test_resolver_doubleOverpaymentIsCapped() public {
        _assertCappedPayout(_lock(address(new OverpayingResolver(false)), ""));
    }

    function test_resolver_maxOverpaymentIsCapped() public {
        _assertCappedPayout(_lock(address(new OverpayingResolver(true)), ""));
    }

    function test_resolver_overpaymentCannotReachOtherFunds() public {
        // More funds sit in the channel (bob deposits again): the cap still holds at the locked amount.
        Transfer memory t = _lock(address(new OverpayingResolver(true)), "");
        _depositBobEth(50 ether);
        uint256 bobBefore = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, "", "");
        assertEq(bob.balance - bobBefore, AMOUNT, "responder paid the locked amount, no more");
        assertEq(address(channel).balance, 50 ether, "other funds untouched");
    }

    // ─── failing resolvers: no settlement before the deadline, refund after it ──────────────────────────

    function test_resolver_revertingFailsBeforeDeadline() public {
        _settleFails(_lock(address(new RevertingResolver()), ""), "");
    }

    function test_resolver_revertingCannotBlockRefund() public {
        Transfer memory t = _lock(address(new RevertingResolver()), "");
        _refundsAfterDeadline(t);
    }

    function test_resolver_gasBurningFailsBeforeDeadline() public {
        _settleFails(_lock(address(new GasBurningResolver()), ""), "");
    }

    function test_resolver_gasBurningCannotBlockRefund() public {
        Transfer memory t = _lock(address(new GasBurningResolver()), "");
        _refundsAfterDeadline(t);
    }

    function test_resolver_stateChangingFailsBeforeDeadline() public {
        StateChangingResolver r = new StateChangingResolver();
        _settleFails(_lock(address(r), ""), "");
        assertEq(r.resolveCount(), 0, "resolver wrote state");
    }

    function test_resolver_stateChangingCannotBlockRefund() public {
        StateChangingResolver r = new StateChangingResolver();
        Transfer memory t = _lock(address(r), "");
        _refundsAfterDeadline(t);
        assertEq(r.resolveCount(), 0, "resolver called");
    }

    function test_resolver_codelessResolverFails() public {
        _settleFails(_lock(eve, ""), "");
    }

    function test_resolver_hashlockWrongPreimageFails() public {
        Transfer memory t = _lock(address(hashlock), abi.encode(_lockHash(PREIMAGE), START + 30 days));
        _settleFails(t, abi.encode(keccak256("wrong preimage")));
    }

    function test_resolver_hashlockPreimageAfterExpiryFails() public {
        // The lock expires inside the settle window: the right preimage is refused from the expiry on.
        uint256 expiry = START + TIMEOUT + 1 days;
        Transfer memory t = _lock(address(hashlock), abi.encode(_lockHash(PREIMAGE), expiry));
        vm.warp(expiry);
        assertTrue(block.timestamp < _deadlineOf(t), "window already over");
        _settleFails(t, abi.encode(PREIMAGE));
        _refundsAfterDeadline(t);
    }

    function test_resolver_signedOutcomeAboveAmountFails() public {
        Transfer memory t = _lock(address(signedResolver), abi.encode(oracle));
        bytes32 id = _id(t);
        uint256 tooMuch = AMOUNT + 1;
        bytes memory sig = signDigest(ORACLE_KEY, signedResolver.outcomeDigest(id, tooMuch, ""));
        _settleFails(t, abi.encode(tooMuch, bytes(""), sig));
    }

    function test_resolver_signedOutcomeByStrangerFails() public {
        Transfer memory t = _lock(address(signedResolver), abi.encode(oracle));
        bytes memory sig = signDigest(EVE_KEY, signedResolver.outcomeDigest(_id(t), AMOUNT, ""));
        _settleFails(t, abi.encode(AMOUNT, bytes(""), sig));
    }

    // ─── who may present evidence ────────────────────────────────────────────────────────────────────────

    function test_resolver_strangerCannotSettleBeforeDeadline() public {
        Transfer memory t = _lock(address(hashlock), abi.encode(_lockHash(PREIMAGE), START + 30 days));
        bytes memory evidence = abi.encode(PREIMAGE);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotResponder.selector, eve));
        vm.prank(eve);
        channel.defundTransfer(t, evidence, "");
        _assertUnchanged(snap);
    }

    function test_resolver_initiatorCannotSettleBeforeDeadline() public {
        // The initiator cannot pick evidence (e.g. a failing one) to steer the outcome before the deadline.
        Transfer memory t = _lock(address(new OverpayingResolver(false)), "");
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotResponder.selector, alice));
        vm.prank(alice);
        channel.defundTransfer(t, "", "");
        _assertUnchanged(snap);
    }

    function test_resolver_starvedGasFails() public {
        // A relayer calls with too little gas for the resolver's allowance, to make a good resolver fail.
        Transfer memory t = _lock(address(hashlock), abi.encode(_lockHash(PREIMAGE), START + 30 days));
        bytes memory callData = abi.encodeCall(channel.defundTransfer, (t, abi.encode(PREIMAGE), ""));
        Snap memory snap = _snap();
        vm.prank(bob);
        (bool ok, bytes memory ret) = address(channel).call{gas: 120_000}(callData);
        assertTrue(!ok, "settled with starved gas");
        (bytes4 selector, uint256 available, uint256 required) = _decodeInsufficientGas(ret);
        assertEq(bytes32(selector), bytes32(IChannelCore.InsufficientGas.selector), "wrong error");
        assertEq(required, RESOLVER_REQUIRED, "required gas");
        assertLe(available, required - 1, "available");
        _assertUnchanged(snap);
    }

    function _decodeInsufficientGas(
        bytes memory ret
    ) internal pure returns (bytes4 selector, uint256 available, uint256 required) {
        assertEq(ret.length, 68, "revert data length");
        // Reads the selector and the two words of InsufficientGas(uint256,uint256) from the revert data.
        assembly ("memory-safe") {
            selector := mload(add(ret, 0x20))
            available := mload(add(ret, 0x24))
            required := mload(add(ret, 0x44))
        }
    }
}
