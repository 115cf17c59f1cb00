// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {IWithdrawUnit} from "../../../contracts/interfaces/IWithdrawUnit.sol";
import {BlacklistToken} from "../../../contracts/test/mocks/BlacklistToken.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {ReferenceHashing} from "../utils/ReferenceHashing.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title Replay attacks
/// @notice A signature is bound to one chain, one deployment, one channel and one kind of commitment, and each
///         commitment runs once: every replay fails with the right error and moves nothing.
contract SecurityReplayTest is SecurityBase {
    bytes32 internal constant OTHER_SALT = keccak256("switchyard.security.other");
    bytes32 internal constant PREIMAGE = keccak256("replay preimage");

    IChannel internal sibling; // same parties, other salt, same deployment
    IChannel internal foreign; // same parties, same salt, another deployment
    BlacklistToken internal blt;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
        sibling = IChannel(factory.createChannel(alice, bob, OTHER_SALT));
        foreign = IChannel(_newFactory(_defaultLimits(), MIN_TIMEOUT, MAX_TIMEOUT).createChannel(alice, bob, SALT));
        // Both other channels hold the same funds, so a replayed commitment would have something to pay.
        vm.prank(alice);
        sibling.depositAlice{value: 10 ether}(ETH, 10 ether);
        vm.prank(alice);
        foreign.depositAlice{value: 10 ether}(ETH, 10 ether);
        _sendEth(bob, address(sibling), 5 ether);
        _sendEth(bob, address(foreign), 5 ether);
    }

    function _sendEth(address from, address to, uint256 amount) internal {
        vm.prank(from);
        (bool ok, ) = to.call{value: amount}("");
        assertTrue(ok, "plain transfer failed");
    }

    /// @dev The latest state: alice 6, bob 9 of the 15 deposited.
    function _s(uint256 nonce) internal pure returns (ChannelState memory) {
        return _ethState(nonce, 6 ether, 9 ether, 10 ether, 5 ether, 1);
    }

    function _expectBadSig(address signer) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, signer));
    }

    // ─── across chains ───────────────────────────────────────────────────────────────────────────────────

    function test_replay_stateFromAnotherChainFails() public {
        ChannelState memory s = _s(1);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        vm.chainId(10); // the same channel address after a fork, or on another chain
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_finalStateFromAnotherChainFails() public {
        FinalState memory f = _finalOf(_s(1));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        vm.chainId(10);
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_withdrawFromAnotherChainFails() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 0);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        vm.chainId(10);
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.withdraw(w, sa, sb);
        _assertUnchanged(snap);
        assertTrue(!channel.isWithdrawExecuted(0), "nonce spent");
    }

    // ─── across channels and deployments ─────────────────────────────────────────────────────────────────

    function test_replay_stateFromAnotherChannelFails() public {
        ChannelState memory s = _s(1);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        Snap memory snap = _snapOf(sibling, _only(ETH));
        _expectBadSig(alice);
        sibling.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_finalStateFromAnotherChannelFails() public {
        FinalState memory f = _finalOf(_s(1));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snapOf(sibling, _only(ETH));
        _expectBadSig(alice);
        sibling.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_withdrawFromAnotherChannelFails() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 0);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        Snap memory snap = _snapOf(sibling, _only(ETH));
        _expectBadSig(alice);
        sibling.withdraw(w, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_stateFromAnotherDeploymentFails() public {
        assertTrue(address(foreign) != address(channel), "deployments share an address");
        ChannelState memory s = _s(1);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        Snap memory snap = _snapOf(foreign, _only(ETH));
        _expectBadSig(alice);
        foreign.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_finalStateFromAnotherDeploymentFails() public {
        FinalState memory f = _finalOf(_s(1));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snapOf(foreign, _only(ETH));
        _expectBadSig(alice);
        foreign.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_withdrawFromAnotherDeploymentFails() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 0);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        Snap memory snap = _snapOf(foreign, _only(ETH));
        _expectBadSig(alice);
        foreign.withdraw(w, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_stateOnTheMastercopyFails() public {
        ChannelState memory s = _s(1);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        IChannel master = IChannel(factory.mastercopy());
        Snap memory snap = _snap();
        vm.expectRevert(IChannelCore.NotAChannel.selector);
        master.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    // ─── across commitment types ─────────────────────────────────────────────────────────────────────────

    function test_replay_channelStateSignatureAsFinalStateFails() public {
        ChannelState memory s = _s(1);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        FinalState memory f = _finalOf(s); // same nonce and assets
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_finalStateSignatureAsChannelStateFails() public {
        ChannelState memory s = _s(1);
        (bytes memory sa, bytes memory sb) = _finalSigs(_finalOf(s));
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_withdrawSignatureAsStateFails() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 1);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        ChannelState memory s = _s(1);
        FinalState memory f = _finalOf(s);
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        _expectBadSig(alice);
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_stateSignatureAsWithdrawFails() public {
        (bytes memory sa, bytes memory sb) = _sigs(_s(1));
        WithdrawCommitment memory w = _withdrawCommitment(ETH, eve, 1 ether, 1);
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.withdraw(w, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_exitAuthorizationAsTransferResolutionFails() public {
        Transfer memory t = _hashlockTransfer(3 ether, alice, bob, PREIMAGE, START + 30 days, 2 days, bytes32(0));
        ChannelState memory s = _stateWithRoot(1, _leaf(t), _asset(ETH, 3 ether, 9 ether, 10 ether, 5 ether, 1));
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, _noProof());
        // Bob's exit authorization, whatever its fields, is not his transfer resolution.
        bytes memory exitSig = _signExit(BOB_KEY, ETH, eve, 0);
        bytes memory evidence = abi.encode(PREIMAGE);
        Snap memory snap = _snap();
        _expectBadSig(bob);
        vm.prank(eve);
        channel.defundTransfer(t, evidence, exitSig);
        _assertUnchanged(snap);
        assertTrue(!channel.transferRecord(_id(t)).settled, "settled");
    }

    function test_replay_transferResolutionAsExitAuthorizationFails() public {
        _makeBobTokenExit();
        // Bob's transfer resolution over an id chosen to look like anything is not his exit authorization.
        bytes memory resolutionSig = _signResolution(BOB_KEY, bytes32(uint256(uint160(eve))), "");
        Snap memory snap = _snapWith(address(blt));
        _expectBadSig(bob);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, resolutionSig);
        _assertUnchanged(snap);
    }

    // ─── each commitment runs once ───────────────────────────────────────────────────────────────────────

    function test_replay_withdrawReplayFails() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 4);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        channel.withdraw(w, sa, sb);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, 4));
        vm.prank(eve);
        channel.withdraw(w, sa, sb);
        _assertUnchanged(snap);
        assertEq(channel.totalPaidOut(ETH), 1 ether, "paid once");
    }

    function test_replay_closeReplayFails() public {
        FinalState memory f = _finalOf(_s(3));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        channel.closeChannel(f, sa, sb);
        // New funds arrive, so a replayed close would have something to pay.
        _depositBobEth(2 ether);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 3, 3));
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
    }

    function test_replay_signedExitReplayFails() public {
        _makeBobTokenExit();
        bytes memory sig = _signExit(BOB_KEY, address(blt), eve, 0);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        assertEq(blt.balanceOf(eve), 10e18, "first use pays");
        // Bob is owed a second exit; the spent authorization cannot take it.
        _makeSecondBobTokenExit();
        assertEq(channel.exitOf(address(blt), bob), 5e18, "second exit");
        Snap memory snap = _snapWith(address(blt));
        _expectBadSig(bob);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        _assertUnchanged(snap);
    }

    function test_replay_exitAuthorizationDiesWhenTheOwnerWithdrawsItself() public {
        _makeBobTokenExit();
        // Bob signs for a relayer to pay eve, then withdraws the claim himself: the authorization is spent too.
        bytes memory sig = _signExit(BOB_KEY, address(blt), eve, 0);
        vm.prank(bob);
        channel.withdrawExit(address(blt), bob, bob, "");
        assertEq(channel.exitNonce(bob), 1, "the owner's own withdrawal spends the exit nonce");
        // Bob's next claim cannot be swept to the recipient named back then.
        _makeSecondBobTokenExit();
        assertEq(channel.exitOf(address(blt), bob), 5e18, "second exit");
        Snap memory snap = _snapWith(address(blt));
        _expectBadSig(bob);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        _assertUnchanged(snap);
    }

    function test_replay_exitAuthorizationOverTheReferenceDigestPaysOnce() public {
        // Signed over the test's own EIP-712 encoding of ExitAuthorization(asset, recipient, nonce).
        _makeBobTokenExit();
        bytes memory sig = signDigest(BOB_KEY, ReferenceHashing.exitDigest(address(channel), address(blt), eve, 0));
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        assertEq(blt.balanceOf(eve), 10e18, "paid to the signed recipient");
        _makeSecondBobTokenExit();
        Snap memory snap = _snapWith(address(blt));
        _expectBadSig(bob);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        _assertUnchanged(snap);
    }

    function test_replay_exitAuthorizationForAnotherRecipientFails() public {
        _makeBobTokenExit();
        bytes memory sig = _signExit(BOB_KEY, address(blt), bob, 0); // bob authorized paying himself
        Snap memory snap = _snapWith(address(blt));
        _expectBadSig(bob);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        _assertUnchanged(snap);
    }

    function test_replay_exitAuthorizationFromAnotherChainFails() public {
        _makeBobTokenExit();
        bytes memory sig = _signExit(BOB_KEY, address(blt), eve, 0);
        vm.chainId(10);
        Snap memory snap = _snapWith(address(blt));
        _expectBadSig(bob);
        vm.prank(eve);
        channel.withdrawExit(address(blt), bob, eve, sig);
        _assertUnchanged(snap);
    }

    // ─── exits ───────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Both deposit 10 BLT; a close while bob is blacklisted pays alice and keeps bob's 10 as his exit.
    function _makeBobTokenExit() internal {
        blt = new BlacklistToken();
        blt.mint(alice, 100e18);
        blt.mint(bob, 100e18);
        vm.prank(alice);
        blt.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        channel.depositAlice(address(blt), 10e18);
        vm.prank(bob);
        assertTrue(blt.transfer(address(channel), 10e18), "bob's deposit");
        blt.setBlacklisted(bob, true);
        _close(_final(1, _asset(address(blt), 10e18, 10e18, 10e18, 10e18, 1)));
        blt.setBlacklisted(bob, false);
        assertEq(channel.exitOf(address(blt), bob), 10e18, "bob's exit");
        assertEq(blt.balanceOf(alice), 100e18, "alice paid");
    }

    /// @dev Bob deposits 5 more BLT and a newer close while he is blacklisted keeps them as his exit.
    function _makeSecondBobTokenExit() internal {
        vm.prank(bob);
        assertTrue(blt.transfer(address(channel), 5e18), "bob's deposit");
        blt.setBlacklisted(bob, true);
        _close(_final(2, _asset(address(blt), 0, 0, 10e18, 10e18, 2)));
        blt.setBlacklisted(bob, false);
    }
}
