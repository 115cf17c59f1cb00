// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {ChannelState, FinalState} from "../../../contracts/types/ChannelTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title Stale-state attacks
/// @notice A party holding an older co-signed state tries to make it win: after a newer dispute, with an equal
///         nonce, too late to refute, after a close, or by defunding a state that was replaced.
contract SecurityStaleStateTest is SecurityBase {
    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
    }

    /// @dev State `nonce` gives bob `bobShare` of the 15 ETH (later states give bob more: alice is the cheater).
    function _s(uint256 nonce, uint256 bobShare) internal pure returns (ChannelState memory) {
        return _ethState(nonce, 15 ether - bobShare, bobShare, 10 ether, 5 ether, 1);
    }

    function _expectStale(uint256 given, uint256 recorded) internal {
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, given, recorded));
    }

    function test_stale_olderStateAfterNewerDisputeFails() public {
        _dispute(_s(5, 9 ether));
        ChannelState memory old = _s(3, 5 ether);
        (bytes memory sa, bytes memory sb) = _sigs(old);
        Snap memory snap = _snap();
        _expectStale(3, 5);
        channel.disputeChannel(old, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_equalNonceDuringConsensusFails() public {
        _dispute(_s(5, 9 ether));
        // A second state with the same nonce (which honest parties never sign) cannot replace the first.
        ChannelState memory twin = _s(5, 1 ether);
        (bytes memory sa, bytes memory sb) = _sigs(twin);
        Snap memory snap = _snap();
        _expectStale(5, 5);
        channel.disputeChannel(twin, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_sameStateResubmittedDuringConsensusFails() public {
        ChannelState memory s = _s(5, 9 ether);
        _dispute(s);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        vm.warp(block.timestamp + 1 hours);
        Snap memory snap = _snap();
        _expectStale(5, 5); // cannot restart or extend the consensus phase
        channel.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_refuteAfterConsensusWindowFails() public {
        _dispute(_s(5, 5 ether));
        uint256 defundExpiry = _record().defundExpiry;
        _warpToDefundPhase();
        ChannelState memory newer = _s(6, 9 ether);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, defundExpiry));
        channel.disputeChannel(newer, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_refuteInLastSecondOfDefundPhaseFails() public {
        _dispute(_s(5, 5 ether));
        uint256 defundExpiry = _record().defundExpiry;
        vm.warp(defundExpiry - 1);
        ChannelState memory newer = _s(6, 9 ether);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, defundExpiry));
        channel.disputeChannel(newer, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_closeInDefundPhaseFails() public {
        _dispute(_s(5, 5 ether));
        uint256 defundExpiry = _record().defundExpiry;
        _warpToDefundPhase();
        FinalState memory f = _finalOf(_s(6, 9 ether));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, defundExpiry));
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_olderStateAfterCloseFails() public {
        _close(_finalOf(_s(5, 9 ether)));
        _depositBobEth(1 ether); // something a replayed old state could pay
        ChannelState memory old = _s(4, 5 ether);
        (bytes memory sa, bytes memory sb) = _sigs(old);
        Snap memory snap = _snap();
        _expectStale(4, 5);
        channel.disputeChannel(old, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_equalNonceStateAfterCloseFails() public {
        _close(_finalOf(_s(5, 9 ether)));
        _depositBobEth(1 ether);
        ChannelState memory same = _s(5, 9 ether);
        (bytes memory sa, bytes memory sb) = _sigs(same);
        Snap memory snap = _snap();
        _expectStale(5, 5);
        channel.disputeChannel(same, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_olderFinalStateDuringDisputeFails() public {
        _dispute(_s(5, 9 ether));
        FinalState memory f = _finalOf(_s(4, 5 ether));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snap();
        _expectStale(4, 5);
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_olderStateAfterDisputeEndedFails() public {
        ChannelState memory s = _s(5, 9 ether);
        _disputeToDefund(s);
        _defund(s, ETH);
        _warpPastDefundPhase();
        ChannelState memory old = _s(4, 5 ether);
        (bytes memory sa, bytes memory sb) = _sigs(old);
        Snap memory snap = _snap();
        _expectStale(4, 5);
        channel.disputeChannel(old, sa, sb);
        _assertUnchanged(snap);
    }

    function test_stale_defundOfReplacedStateFails() public {
        ChannelState memory old = _s(5, 5 ether);
        ChannelState memory newer = _s(6, 9 ether);
        _dispute(old);
        _dispute(newer); // the victim (or its watcher) refutes
        _warpToDefundPhase();
        bytes32 oldHash = hasher.hashChannelState(old);
        bytes32 newHash = hasher.hashChannelState(newer);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StateMismatch.selector, oldHash, newHash));
        channel.defundChannel(old, _only(ETH));
        _assertUnchanged(snap);
        // The newer state is what pays: bob 9, alice 6.
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        _defund(newer, ETH);
        assertEq(alice.balance - aliceBefore, 6 ether, "alice paid by the newer state");
        assertEq(bob.balance - bobBefore, 9 ether, "bob paid by the newer state");
        _assertLedger(ETH);
    }

    function test_stale_defundDuringConsensusFails() public {
        ChannelState memory s = _s(5, 5 ether);
        _dispute(s);
        uint256 consensusExpiry = _record().consensusExpiry;
        vm.warp(consensusExpiry - 1);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ConsensusPhaseNotOver.selector, consensusExpiry));
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_stale_defundAfterDefundPhaseFails() public {
        ChannelState memory s = _s(5, 5 ether);
        _dispute(s);
        IAdjudicator.DisputeRecord memory r = _record();
        _warpPastDefundPhase();
        // Once the window is over the parties may have moved on; the old outcome is not executable any more.
        Snap memory snap = _snap();
        vm.expectRevert(
            abi.encodeWithSelector(IAdjudicator.NotInDefundPhase.selector, r.consensusExpiry, r.defundExpiry)
        );
        channel.defundChannel(s, _only(ETH));
        _assertUnchanged(snap);
    }

    function test_stale_refuteDoesNotExtendThePhases() public {
        _dispute(_s(5, 5 ether));
        IAdjudicator.DisputeRecord memory first = _record();
        vm.warp(first.consensusExpiry - 1);
        _dispute(_s(6, 9 ether));
        IAdjudicator.DisputeRecord memory second = _record();
        assertEq(uint256(second.nonce), 6, "newer state recorded");
        assertEq(uint256(second.consensusExpiry), uint256(first.consensusExpiry), "consensus phase extended");
        assertEq(uint256(second.defundExpiry), uint256(first.defundExpiry), "defund phase extended");
        // And a third, older state still cannot come back in the same phase.
        ChannelState memory old = _s(5, 5 ether);
        (bytes memory sa, bytes memory sb) = _sigs(old);
        Snap memory snap = _snap();
        _expectStale(5, 6);
        channel.disputeChannel(old, sa, sb);
        _assertUnchanged(snap);
    }

    /// @dev Known limitation (docs/SECURITY.md, PROTOCOL.md §10.3): a victim who is offline, with no watcher, for
    ///      the whole consensus phase lets an older co-signed state be executed.
    function test_stale_limitation_missedConsensusPhaseLetsOlderStateWin() public {
        ChannelState memory old = _s(3, 2 ether); // bob has since been paid up to 9
        vm.prank(alice);
        _dispute(old);
        _warpToDefundPhase();
        // Too late for bob's newer state.
        ChannelState memory newer = _s(6, 9 ether);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        uint256 defundExpiry = _record().defundExpiry;
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, defundExpiry));
        channel.disputeChannel(newer, sa, sb);
        uint256 bobBefore = bob.balance;
        _defund(old, ETH);
        assertEq(bob.balance - bobBefore, 2 ether, "the old state paid bob");
    }
}
