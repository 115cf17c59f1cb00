// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {IChannelFactory} from "../../../contracts/interfaces/IChannelFactory.sol";
import {ChannelState, FinalState} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title HungryWallet
/// @notice An ERC-1271 party whose `receive` needs real gas (a zero-to-non-zero store), as a smart account's does:
///         a push with a starved allowance would fail and turn its payment into an exit.
contract HungryWallet is IERC1271 {
    address public immutable OWNER;
    uint256 public received;

    constructor(address owner_) {
        OWNER = owner_;
    }

    receive() external payable {
        received += msg.value;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view override returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == OWNER) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}

/// @title Griefing attacks
/// @notice Attacks that aim to block, delay or degrade rather than steal: front-running a close with a dispute,
///         spamming old states, starving a relayed call's gas so that a payment becomes an exit or a good resolver
///         fails, front-running a channel's creation, and funds sent after a close.
contract SecurityGriefingTest is SecurityBase {
    uint256 internal constant WALLET_KEY = 0x5AFE;
    /// @dev ETH_PUSH_GAS * 64 / 63 plus the channel's reserve for the value call itself.
    uint256 internal constant ETH_PUSH_REQUIRED = 90_793;
    /// @dev TOKEN_PUSH_GAS * 64 / 63 plus the channel's reserve for the token call itself.
    uint256 internal constant TOKEN_PUSH_REQUIRED = 131_904;
    bytes32 internal constant PREIMAGE = keccak256("griefing preimage");

    /// @dev What one gas-limited call did, reported by reverting so that the probe leaves no trace.
    error ProbeResult(bool ok, bytes ret, uint256 exitAlice, uint256 exitBob, uint256 paidToBob);

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
    }

    /// @dev State `nonce` of the fixture channel: later states give bob more.
    function _s(uint256 nonce) internal pure returns (ChannelState memory) {
        return _ethState(nonce, 10 ether - nonce * 1 ether, 5 ether + nonce * 1 ether, 10 ether, 5 ether, 1);
    }

    // ─── front-running a close ───────────────────────────────────────────────────────────────────────────

    function test_griefing_disputeFrontRunningCloseIsEndedByClose() public {
        // The griefer submits an old co-signed state just before the parties' close lands.
        ChannelState memory old = _s(3);
        vm.prank(eve);
        _dispute(old);
        uint256 consensusExpiry = _record().consensusExpiry;
        vm.warp(consensusExpiry - 1); // the close lands at the last second of the consensus phase
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        _close(_finalOf(_s(5)));
        assertEq(alice.balance - aliceBefore, 5 ether, "alice paid by the close");
        assertEq(bob.balance - bobBefore, 10 ether, "bob paid by the close");
        IAdjudicator.DisputeRecord memory r = _record();
        assertEq(uint256(r.nonce), 5, "close recorded");
        assertEq(uint256(r.consensusExpiry), 0, "dispute not ended");
        // The griefer's dispute is gone: nothing can be defunded from it, even after its phase would have ended.
        vm.warp(consensusExpiry);
        Snap memory snap = _snap();
        vm.expectRevert(IAdjudicator.NoDispute.selector);
        channel.defundChannel(old, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_griefing_disputeSpamWithOldStatesAfterCloseFails() public {
        _close(_finalOf(_s(5)));
        _depositBobEth(1 ether);
        Snap memory snap = _snap();
        for (uint256 i = 1; i <= 5; ++i) {
            ChannelState memory old = _s(i);
            (bytes memory sa, bytes memory sb) = _sigs(old);
            vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, i, 5));
            vm.prank(eve);
            channel.disputeChannel(old, sa, sb);
        }
        _assertUnchanged(snap);
    }

    function test_griefing_createChannelFrontRunDoesNotBlockCreateAndDeposit() public {
        bytes32 salt = keccak256("front-run");
        vm.prank(eve);
        address at = factory.createChannel(alice, bob, salt);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.ChannelExists.selector, at));
        vm.prank(eve);
        factory.createChannel(alice, bob, salt);
        // The node's create-and-deposit still lands, as a deposit into the existing channel.
        vm.prank(alice);
        factory.createChannelAndDeposit{value: 3 ether}(alice, bob, salt, ETH, 3 ether);
        assertEq(IChannel(at).totalDepositsAlice(ETH), 3 ether, "alice credited");
        assertEq(at.balance, 3 ether, "held");
    }

    function test_griefing_strangerCannotReopenASettledDispute() public {
        // A state executed on chain is public, but only alice or bob may dispute it again once its dispute is
        // over: a stranger cannot force the parties to answer a new consensus phase.
        ChannelState memory s = _s(3);
        _disputeToDefund(s);
        _defund(s, ETH);
        _warpPastDefundPhase();
        _depositBobEth(2 ether); // the parties carry on: bob's new deposit
        (bytes memory sa, bytes memory sb) = _sigs(s);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotAParty.selector, eve));
        vm.prank(eve);
        channel.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    function test_griefing_partyReopeningASettledDisputeCannotPayAgain() public {
        // A party may re-open (to settle what nobody settled in time); re-opening what was settled pays nothing
        // twice, and a cooperative close during its consensus phase ends it.
        ChannelState memory s = _s(3);
        _disputeToDefund(s);
        _defund(s, ETH);
        _warpPastDefundPhase();
        _depositBobEth(2 ether);
        _reopenToDefund(s);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.DefundNonceNotFresh.selector, ETH, 1, 1));
        vm.prank(eve);
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_griefing_partyReopeningASettledDisputeIsEndedByClose() public {
        ChannelState memory s = _s(3);
        _disputeToDefund(s);
        _defund(s, ETH);
        _warpPastDefundPhase();
        _depositBobEth(2 ether);
        _reopen(s);
        uint256 bobBefore = bob.balance;
        _close(_final(4, _asset(ETH, 0, 0, 10 ether, 5 ether, 2)));
        assertEq(bob.balance - bobBefore, 2 ether, "bob's new deposit paid by the close");
        assertEq(uint256(_record().consensusExpiry), 0, "re-opened dispute not ended");
        _assertLedger(ETH);
    }

    // ─── starving a relayed call's gas ───────────────────────────────────────────────────────────────────

    function _stripSelector(bytes memory data) internal pure returns (bytes memory out) {
        out = new bytes(data.length - 4);
        for (uint256 i = 0; i < out.length; ++i) out[i] = data[i + 4];
    }

    function _decodeProbe(
        bytes memory data
    ) internal pure returns (bool ok, bytes memory ret, uint256 exitA, uint256 exitB, uint256 paid) {
        assertEq(bytes32(bytes4(data)), bytes32(ProbeResult.selector), "probe did not report");
        (ok, ret, exitA, exitB, paid) = abi.decode(_stripSelector(data), (bool, bytes, uint256, uint256, uint256));
    }

    function _decodeInsufficientGas(bytes memory ret) internal pure returns (uint256 available, uint256 required) {
        (available, required) = abi.decode(_stripSelector(ret), (uint256, uint256));
    }

    /// @notice Runs `callData` on `ch` as `sender` with `gasLimit` and reports the outcome by reverting.
    function probe(IChannel ch, address sender, bytes calldata callData, uint256 gasLimit) external {
        address b = ch.bob();
        uint256 before = b.balance;
        vm.prank(sender);
        (bool ok, bytes memory ret) = address(ch).call{gas: gasLimit}(callData);
        revert ProbeResult(ok, ret, ch.exitOf(ETH, ch.alice()), ch.exitOf(ETH, b), b.balance - before);
    }

    function _probe(
        IChannel ch,
        address sender,
        bytes memory callData,
        uint256 gasLimit
    ) internal returns (bool ok, bytes memory ret, uint256 exitA, uint256 exitB, uint256 paid) {
        try this.probe(ch, sender, callData, gasLimit) {
            fail("probe returned");
        } catch (bytes memory data) {
            (ok, ret, exitA, exitB, paid) = _decodeProbe(data);
        }
    }

    function test_griefing_relayerStarvingPushGasCannotTurnPaymentIntoExit() public {
        HungryWallet wallet = new HungryWallet(vm.addr(WALLET_KEY));
        IChannel ch = IChannel(factory.createChannel(alice, address(wallet), keccak256("hungry")));
        vm.prank(alice);
        ch.depositAlice{value: 10 ether}(ETH, 10 ether);
        ChannelState memory s = _ethState(1, 4 ether, 6 ether, 10 ether, 0, 1);
        ch.disputeChannel(s, _signStateFor(address(ch), ALICE_KEY, s), _signStateFor(address(ch), WALLET_KEY, s));
        vm.warp(ch.disputeRecord().consensusExpiry);
        bytes memory callData = abi.encodeCall(ch.defundChannel, (s, _only(ETH)));
        uint256 starvedAt;
        uint256 succeeded;
        // Every gas limit a relayer could pick: the call either reverts or pays both sides in full.
        for (uint256 g = 30_000; g <= 300_000; g += 2_000) {
            (bool ok, bytes memory ret, uint256 exitA, uint256 exitB, uint256 paid) = _probe(ch, eve, callData, g);
            if (ok) {
                ++succeeded;
                assertEq(exitA + exitB, 0, "a starved push became an exit");
                assertEq(paid, 6 ether, "wallet not paid in full");
            } else if (ret.length == 68 && bytes4(ret) == IChannelCore.InsufficientGas.selector) {
                if (starvedAt == 0) starvedAt = g;
                (uint256 available, uint256 required) = _decodeInsufficientGas(ret);
                assertEq(required, ETH_PUSH_REQUIRED, "required gas");
                assertLe(available, required - 1, "available");
            } else {
                assertEq(ret.length, 0, "unexpected revert"); // plain out-of-gas before the push
            }
        }
        assertTrue(starvedAt > 0, "never refused a starved push");
        assertTrue(succeeded > 0, "never succeeded");
        // And one starved call made for real moves nothing.
        Snap memory snap = _snapOf(ch, _only(ETH));
        vm.prank(eve);
        (bool okReal, bytes memory retReal) = address(ch).call{gas: starvedAt}(callData);
        assertTrue(!okReal, "starved defund succeeded");
        assertEq(bytes32(bytes4(retReal)), bytes32(IChannelCore.InsufficientGas.selector), "wrong error");
        _assertUnchanged(snap);
    }

    /// @notice Runs `callData` on `ch` as `sender` with `gasLimit` and reports the outcome for the fixture token by
    ///         reverting (the parties' claims on it and what bob received of it).
    function probeToken(IChannel ch, address sender, bytes calldata callData, uint256 gasLimit) external {
        address b = ch.bob();
        uint256 before = token.balanceOf(b);
        vm.prank(sender);
        (bool ok, bytes memory ret) = address(ch).call{gas: gasLimit}(callData);
        address t = address(token);
        revert ProbeResult(ok, ret, ch.exitOf(t, ch.alice()), ch.exitOf(t, b), token.balanceOf(b) - before);
    }

    function test_griefing_relayerStarvingTokenPushGasCannotTurnPaymentIntoExit() public {
        _depositAliceToken(100e18);
        _depositBobToken(50e18);
        ChannelState memory s = _state(1, _asset(address(token), 60e18, 90e18, 100e18, 50e18, 1));
        _disputeToDefund(s);
        bytes memory callData = abi.encodeCall(channel.defundChannel, (s, _only(address(token))));
        uint256 starvedAt;
        uint256 succeeded;
        // Every gas limit a relayer could pick: the call either reverts or pays both sides in full; a push is
        // refused below exactly the token allowance and its reserve.
        for (uint256 g = 40_000; g <= 400_000; g += 2_000) {
            bool ok;
            bytes memory ret;
            uint256 exitA;
            uint256 exitB;
            uint256 paid;
            try this.probeToken(channel, eve, callData, g) {
                fail("probe returned");
            } catch (bytes memory data) {
                (ok, ret, exitA, exitB, paid) = _decodeProbe(data);
            }
            if (ok) {
                ++succeeded;
                assertEq(exitA + exitB, 0, "a starved token push became an exit");
                assertEq(paid, 90e18, "bob not paid in full");
            } else if (ret.length == 68 && bytes4(ret) == IChannelCore.InsufficientGas.selector) {
                if (starvedAt == 0) starvedAt = g;
                (uint256 available, uint256 required) = _decodeInsufficientGas(ret);
                assertEq(required, TOKEN_PUSH_REQUIRED, "required gas");
                assertLe(available, required - 1, "available");
            } else if (ret.length == 36) {
                // The balance query itself starved: refused as a token that cannot answer, nothing moved.
                assertEq(
                    keccak256(ret),
                    keccak256(abi.encodeWithSelector(IChannelCore.BalanceQueryFailed.selector, address(token))),
                    "unexpected revert"
                );
            } else {
                assertEq(ret.length, 0, "unexpected revert"); // plain out-of-gas before the push
            }
        }
        assertTrue(starvedAt > 0, "never refused a starved push");
        assertTrue(succeeded > 0, "never succeeded");
        // And one starved call made for real moves nothing.
        // (The ETH test above pins the ETH reserve the same way.)
        Snap memory snap = _snapOf(channel, _only(address(token)));
        vm.prank(eve);
        (bool okReal, bytes memory retReal) = address(channel).call{gas: starvedAt}(callData);
        assertTrue(!okReal, "starved defund succeeded");
        assertEq(bytes32(bytes4(retReal)), bytes32(IChannelCore.InsufficientGas.selector), "wrong error");
        _assertUnchanged(snap);
    }

    function test_griefing_relayerStarvingResolverGasCannotFlipTheOutcome() public {
        Transfer memory t = _hashlockTransfer(3 ether, alice, bob, PREIMAGE, START + 30 days, 2 days, bytes32(0));
        ChannelState memory s = _stateWithRoot(1, _leaf(t), _asset(ETH, 7 ether, 5 ether, 10 ether, 5 ether, 1));
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, _noProof());
        // A watcher relays bob's signed resolution: whatever gas it gives, bob is paid or nothing happens.
        bytes memory evidence = abi.encode(PREIMAGE);
        bytes memory sig = _signResolution(BOB_KEY, _id(t), evidence);
        bytes memory callData = abi.encodeCall(channel.defundTransfer, (t, evidence, sig));
        uint256 starved;
        uint256 succeeded;
        for (uint256 g = 40_000; g <= 400_000; g += 4_000) {
            (bool ok, bytes memory ret, , , uint256 paid) = _probe(channel, eve, callData, g);
            if (ok) {
                ++succeeded;
                assertEq(paid, 3 ether, "responder not paid in full");
            } else if (ret.length == 68 && bytes4(ret) == IChannelCore.InsufficientGas.selector) {
                ++starved;
            } else {
                assertEq(ret.length, 0, "a starved resolver failed the settlement");
            }
        }
        assertTrue(starved > 0, "never refused a starved resolver");
        assertTrue(succeeded > 0, "never succeeded");
    }

    // ─── funds sent after a close ────────────────────────────────────────────────────────────────────────

    /// @dev Closes at nonce 5 (alice 5, bob 10), then bob sends 2 ETH and alice deposits 1 ETH.
    function _closeThenLateDeposits() internal {
        _close(_finalOf(_s(5)));
        _depositBobEth(2 ether);
        _depositAliceEth(1 ether);
        assertEq(channel.totalDepositsBob(ETH), 7 ether, "bob's deposits");
        assertEq(channel.totalDepositsAlice(ETH), 11 ether, "alice's deposits");
    }

    function test_griefing_fundsSentAfterCloseCannotBeTakenWithOldCommitments() public {
        _closeThenLateDeposits();
        FinalState memory f5 = _finalOf(_s(5));
        (bytes memory fa, bytes memory fb) = _finalSigs(f5);
        ChannelState memory s4 = _s(4);
        (bytes memory sa, bytes memory sb) = _sigs(s4);
        // A newer final state that reuses the consumed defund nonce (e.g. signed carelessly) pays nothing.
        FinalState memory sameNonce = _final(6, _asset(ETH, 0, 3 ether, 10 ether, 5 ether, 1));
        (bytes memory na, bytes memory nb) = _finalSigs(sameNonce);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 5, 5));
        channel.closeChannel(f5, fa, fb);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 4, 5));
        channel.disputeChannel(s4, sa, sb);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.DefundNonceNotFresh.selector, ETH, 1, 1));
        channel.closeChannel(sameNonce, na, nb);
        vm.expectRevert(IAdjudicator.NoDispute.selector);
        channel.defundChannel(_s(5), _only(ETH));
        _assertUnchanged(snap);
    }

    function test_griefing_fundsSentAfterCloseArePaidByANewerState() public {
        _closeThenLateDeposits();
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        // Next defund nonce, zero balances, processed deposits equal to the totals the close paid.
        _close(_final(6, _asset(ETH, 0, 0, 10 ether, 5 ether, 2)));
        assertEq(alice.balance - aliceBefore, 1 ether, "alice gets exactly her late deposit");
        assertEq(bob.balance - bobBefore, 2 ether, "bob gets exactly his late deposit");
        assertEq(address(channel).balance, 0, "nothing left behind");
        _assertLedger(ETH);
    }

    function test_griefing_fundsSentAfterCloseRecoveredAloneWithCarryOnState() public {
        // Right after the close the parties co-sign the carry-on state; later alice (the attacker here) goes
        // hostile and disputes it herself, hoping to take bob's late deposit: each side gets only its own.
        _close(_finalOf(_s(5)));
        ChannelState memory carryOn = _ethState(6, 0, 0, 10 ether, 5 ether, 2);
        (bytes memory sa, bytes memory sb) = _sigs(carryOn);
        _depositBobEth(2 ether);
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        vm.prank(alice);
        channel.disputeChannel(carryOn, sa, sb);
        _warpToDefundPhase();
        vm.prank(alice);
        channel.defundChannel(carryOn, _only(ETH));
        assertEq(alice.balance, aliceBefore, "alice took bob's late deposit");
        assertEq(bob.balance - bobBefore, 2 ether, "bob's late deposit returned to him");
        assertEq(address(channel).balance, 0, "nothing left behind");
        _assertLedger(ETH);
    }
}
